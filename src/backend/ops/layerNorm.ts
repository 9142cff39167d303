/**
 * Layer normalization over the last axis (src/model/layers.ts, LayerNorm):
 *   y = (x - mean_r) * rsqrt(var_r + eps) * gamma + beta
 * with mean_r, var_r (biased) per row. One kernel (SquidLayerNorm) where the
 * active backend has it (native: the addon's moments and batch-norm passes on
 * each row; cpu: JavaScript loops), else tfjs ops (browser backends, and
 * under a gradient tape: the kernel has no gradient). Browser-safe.
 * x [..., d], gamma, beta [d] -> [..., d]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { LAYER_NORM } from './names.js';
import { tapeRecording } from '../tapePause.js';

export interface LayerNormAttrs {
  epsilon: number;
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
  const f32 = [x, gamma, beta].every((t) => t.dtype === 'float32');
  if (f32 && x.rank >= 1 && !tapeRecording() && tf.getKernel(LAYER_NORM, tf.getBackend())) {
    const attrs: LayerNormAttrs = { epsilon };
    return tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { ...attrs }) as T;
  }
  return layerNormOps(x, gamma, beta, epsilon);
}

/** The cpu kernel: per row, two passes in double for the statistics, one for the output. */
export function layerNormCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, gamma, beta } = args.inputs as unknown as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as LayerNormAttrs;
  const be = args.backend as MathBackendCPU;
  const xv = be.data.get(x.dataId).values as Float32Array;
  const g = be.data.get(gamma.dataId).values as Float32Array;
  const b = be.data.get(beta.dataId).values as Float32Array;
  const d = x.shape[x.shape.length - 1] as number;
  if (g.length !== d || b.length !== d) throw new Error(`SquidLayerNorm: gamma and beta must hold ${d} values`);
  const y = new Float32Array(xv.length);
  for (let o = 0; o < xv.length; o += d) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += xv[o + k]!;
    mean /= d;
    let sq = 0;
    for (let k = 0; k < d; k++) sq += (xv[o + k]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + epsilon);
    for (let k = 0; k < d; k++) y[o + k] = (xv[o + k]! - mean) * rstd * g[k]! + b[k]!;
  }
  return be.makeTensorInfo([...x.shape], 'float32', y);
}
