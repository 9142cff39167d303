/**
 * Batch normalization of each image by its own statistics (the
 * discriminator's 'per-image' mode, src/model/batchNorm.ts):
 *   y = (x - mean_n) * rsqrt(var_n + eps) * gamma + beta
 * with mean_n, var_n (biased) per image and channel over H, W. One kernel
 * (SquidPerImageNorm) where the active backend has it (native: the addon's
 * moments and batch-norm passes on each image's slice; cpu: JavaScript
 * loops), else tfjs ops (browser backends, and under a gradient tape, as for
 * Grad-CAM: the kernel has no gradient). Browser-safe.
 * x [N,H,W,C], gamma, beta [C] -> [N,H,W,C]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { PER_IMAGE_NORM } from './names.js';
import { tapeRecording } from '../tapePause.js';

export interface PerImageNormAttrs {
  epsilon: number;
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
  const f32 = [x, gamma, beta].every((t) => t.dtype === 'float32');
  if (f32 && !tapeRecording() && tf.getKernel(PER_IMAGE_NORM, tf.getBackend())) {
    const attrs: PerImageNormAttrs = { epsilon };
    return tf.engine().runKernel(PER_IMAGE_NORM, { x, gamma, beta }, { ...attrs }) as tf.Tensor4D;
  }
  return perImageNormOps(x, gamma, beta, epsilon);
}

/** The cpu kernel: per image and channel, two passes in double for the statistics, one for the output. */
export function perImageNormCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, gamma, beta } = args.inputs as unknown as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as PerImageNormAttrs;
  const be = args.backend as MathBackendCPU;
  const xv = be.data.get(x.dataId).values as Float32Array;
  const g = be.data.get(gamma.dataId).values as Float32Array;
  const b = be.data.get(beta.dataId).values as Float32Array;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (g.length !== c || b.length !== c) throw new Error(`SquidPerImageNorm: gamma and beta must hold ${c} values`);
  const y = new Float32Array(xv.length);
  const rows = h * w;
  const mean = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    const o = i * rows * c;
    mean.fill(0);
    sq.fill(0);
    for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) mean[k]! += xv[o + r * c + k]!;
    for (let k = 0; k < c; k++) mean[k]! /= rows;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < c; k++) {
        const d = xv[o + r * c + k]! - mean[k]!;
        sq[k]! += d * d;
      }
    }
    for (let k = 0; k < c; k++) sq[k] = (g[k]! / Math.sqrt(sq[k]! / rows + epsilon)); // scale per channel
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < c; k++) {
        const j = o + r * c + k;
        y[j] = (xv[j]! - mean[k]!) * sq[k]! + b[k]!;
      }
    }
  }
  return be.makeTensorInfo([...x.shape], 'float32', y);
}
