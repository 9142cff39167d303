/** BatchMatMul and _FusedMatMul (bias + activation) on oneDNN's matmul; float32, batch broadcast of 1 vs n. SquidSparseRead. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ACTIVATION_CODES, type NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { maybe, need, type KernelArgs, type NativeKernel } from './types.js';

function run(addon: NativeAddon, args: KernelArgs, fused: boolean): tf.TensorInfo | null {
  const a = need(args, 'a');
  const b = need(args, 'b');
  const bias = fused ? maybe(args, 'bias') : undefined;
  if (fused && maybe(args, 'preluActivationWeights')) return null;
  if (!isF32(a) || !isF32(b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== K2 || M < 1 || N < 1 || K < 1) return null;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  } catch {
    return null;
  }
  const ba = size(batchA);
  const bb = size(batchB);
  const bo = size(outBatch);
  if (!((ba === bo || ba === 1) && (bb === bo || bb === 1))) return null;
  const act = fused ? ACTIVATION_CODES[attrs.activation ?? 'linear'] : 0;
  if (act === undefined) return null;
  if (bias && (!isF32(bias) || size(bias.shape) !== N || bias.shape.slice(0, -1).some((d) => d !== 1))) return null;
  const be = args.backend as MathBackendCPU;
  const outShape = [...outBatch, M, N];
  const c = alloc(size(outShape));
  addon.matmul(f32(be, a), ba, f32(be, b), bb, c, [M, K, N], ta, tb, bias ? f32(be, bias) : null, act, attrs.leakyreluAlpha ?? 0.2);
  return output(be, outShape, c);
}

export function matmulKernels(addon: NativeAddon): NativeKernel[] {
  return [
    { kernelName: tf.BatchMatMul, run: (args) => run(addon, args, false) },
    { kernelName: tf._FusedMatMul, run: (args) => run(addon, args, true) },
  ];
}
