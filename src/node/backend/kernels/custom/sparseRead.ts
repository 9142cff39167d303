/** SquidSparseRead on the native backend (src/core/ops/sparseRead/op.ts): native/src/matmul.cc reads the addressed rows in place. */
import type * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../../native/addon.js';
import { alloc, f32, isF32, output } from '../../native/storage.js';
import { need, type KernelArgs, type NativeKernel } from '../types.js';
import { SPARSE_READ, sparseReadShapes } from '../../../../core/ops/sparseRead/op.js';

function sparseRead(addon: NativeAddon, args: KernelArgs): tf.TensorInfo | null {
  const memory = need(args, 'memory');
  const indices = need(args, 'indices');
  const weights = need(args, 'weights');
  if (!isF32(memory) || !isF32(weights) || indices.dtype !== 'int32') return null;
  const [M, S, d, B, k] = sparseReadShapes(memory, indices, weights);
  const be = args.backend as MathBackendCPU;
  const out = alloc(M * B * d);
  const ix = be.data.get(indices.dataId).values as Int32Array;
  addon.sparseRead(f32(be, memory), [M, S, d], ix, f32(be, weights), [B, k], out);
  return output(be, [M, B, d], out);
}

export function sparseReadKernel(addon: NativeAddon): NativeKernel {
  return { kernelName: SPARSE_READ, run: (args) => sparseRead(addon, args) };
}
