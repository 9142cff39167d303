/**
 * Layer normalization over the last axis (src/core/squid/layers.ts, LayerNorm):
 *   y = (x - mean_r) * rsqrt(var_r + eps) * gamma + beta
 * with mean_r, var_r (biased) per row. One kernel (SquidLayerNorm,
 * sliceNorm.ts: a slice per row, one channel, parameters per feature) where
 * the active backend has it, else tfjs ops (browser backends, and under a
 * gradient tape). Browser-safe.
 * x [..., d], gamma, beta [d] -> [..., d]
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceNorm, type SliceGeometry } from '../sliceNorm.js';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const LAYER_NORM = 'SquidLayerNorm';

/** A slice per row of the last axis, one channel, gamma and beta per feature. */
export function layerGeometry(shape: number[]): SliceGeometry | null {
  if (shape.length === 0) return null;
  const d = shape[shape.length - 1] as number;
  return { sliceLength: d, channels: 1, params: d };
}

/** The same normalization in tfjs ops (differentiable; the reference the kernels are tested against). */
export function layerNormOps<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): T {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta) as T;
  });
}

export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): T {
  return sliceNorm(LAYER_NORM, x, gamma, beta, epsilon, () => layerNormOps(x, gamma, beta, epsilon));
}
