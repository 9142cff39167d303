/**
 * Batch normalization of each image by its own statistics (the
 * discriminator's 'per-image' mode, src/core/squid/batchNorm.ts):
 *   y = (x - mean_n) * rsqrt(var_n + eps) * gamma + beta
 * with mean_n, var_n (biased) per image and channel over H, W. One kernel
 * (SquidPerImageNorm, sliceNorm.ts: a slice per image) where the active
 * backend has it, else tfjs ops (browser backends, and under a gradient tape,
 * as for Grad-CAM). Browser-safe.
 * x [N,H,W,C], gamma, beta [C] -> [N,H,W,C]
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceNorm, type SliceGeometry } from '../sliceNorm.js';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const PER_IMAGE_NORM = 'SquidPerImageNorm';

/** A slice per image, statistics per channel. */
export function perImageGeometry(shape: number[]): SliceGeometry | null {
  if (shape.length !== 4) return null;
  const [, h, w, c] = shape as [number, number, number, number];
  return { sliceLength: h * w * c, channels: c, params: c };
}

/** The same normalization in tfjs ops (differentiable; the reference the kernels are tested against). */
export function perImageNormOps(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true); // [N,1,1,C]
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}

export function perImageNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor4D {
  return sliceNorm(PER_IMAGE_NORM, x, gamma, beta, epsilon, () => perImageNormOps(x, gamma, beta, epsilon));
}
