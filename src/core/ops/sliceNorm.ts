/**
 * The mechanism under perImageNorm.ts and layerNorm.ts: x's values cut into
 * consecutive slices (an image, a row), each viewed as [rows, channels] and
 * normalized by its own per-channel mean and biased variance, then
 *   y = (x - mean) * rsqrt(var + eps) * gamma + beta
 * with gamma and beta read at (index within the slice) % their length (per
 * channel, or per feature for layer norm), as tfjs's batchNorm reads its
 * parameters. One kernel where the active backend has it (native:
 * src/node/backend/kernels/custom/sliceNorm.ts; cpu: the loop below), else tfjs ops
 * (browser backends, and under a gradient tape: the kernels have no
 * gradient). Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tapeRecording } from '../tfjs/tapePause.js';

export interface SliceNormAttrs {
  epsilon: number;
}

/** How a kernel cuts x: slice length and channels (floats), and the length gamma and beta must have. */
export interface SliceGeometry {
  sliceLength: number;
  channels: number;
  params: number;
}

/** Runs kernel `name` where the active backend has it and no tape records, else `ops`. */
export function sliceNorm<T extends tf.Tensor>(
  name: string, x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, ops: () => T,
): T {
  const f32 = [x, gamma, beta].every((t) => t.dtype === 'float32');
  if (f32 && !tapeRecording() && tf.getKernel(name, tf.getBackend())) {
    const attrs: SliceNormAttrs = { epsilon };
    return tf.engine().runKernel(name, { x, gamma, beta }, { ...attrs }) as T;
  }
  return ops();
}

/** The cpu kernel of a slice geometry: per slice and channel, two passes in double for the statistics, one for the output. */
export function sliceNormCpu(name: string, geometry: (shape: number[]) => SliceGeometry | null): tf.KernelFunc {
  return (args) => {
    const { x, gamma, beta } = args.inputs as unknown as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
    const { epsilon } = args.attrs as unknown as SliceNormAttrs;
    const be = args.backend as MathBackendCPU;
    const geo = geometry(x.shape);
    if (!geo) throw new Error(`${name}: unsupported input shape ${JSON.stringify(x.shape)}`);
    const { sliceLength: L, channels: C, params: P } = geo;
    const xv = be.data.get(x.dataId).values as Float32Array;
    const g = be.data.get(gamma.dataId).values as Float32Array;
    const b = be.data.get(beta.dataId).values as Float32Array;
    if (g.length !== P || b.length !== P) throw new Error(`${name}: gamma and beta must hold ${P} values`);
    const y = new Float32Array(xv.length);
    const rows = L / C;
    const mean = new Float64Array(C);
    const rstd = new Float64Array(C);
    for (let o = 0; o < xv.length; o += L) {
      mean.fill(0);
      rstd.fill(0);
      for (let j = 0; j < L; j++) mean[j % C]! += xv[o + j]!;
      for (let k = 0; k < C; k++) mean[k]! /= rows;
      for (let j = 0; j < L; j++) rstd[j % C]! += (xv[o + j]! - mean[j % C]!) ** 2;
      for (let k = 0; k < C; k++) rstd[k] = 1 / Math.sqrt(rstd[k]! / rows + epsilon);
      for (let j = 0; j < L; j++) y[o + j] = (xv[o + j]! - mean[j % C]!) * rstd[j % C]! * g[j % P]! + b[j % P]!;
    }
    return be.makeTensorInfo([...x.shape], 'float32', y);
  };
}
