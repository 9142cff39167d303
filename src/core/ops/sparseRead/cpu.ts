/** The JavaScript kernel of sparseRead for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { sparseReadShapes } from './op.js';

/** The cpu kernel. */
export function sparseReadCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { memory, indices, weights } = args.inputs as unknown as Record<'memory' | 'indices' | 'weights', tf.TensorInfo>;
  const [M, S, d, B, k] = sparseReadShapes(memory, indices, weights);
  const be = args.backend as MathBackendCPU;
  const mem = be.data.get(memory.dataId).values as Float32Array;
  const ix = be.data.get(indices.dataId).values as Int32Array;
  const w = be.data.get(weights.dataId).values as Float32Array;
  const out = new Float32Array(M * B * d);
  for (let r = 0; r < M * B; r++) {
    const base = Math.floor(r / B) * S * d;
    const o = r * d;
    for (let j = 0; j < k; j++) {
      const row = ix[r * k + j]!;
      if (!(row >= 0 && row < S)) throw new Error(`SquidSparseRead: index ${row} is not in [0, ${S})`);
      const wj = w[r * k + j]!;
      const from = base + row * d;
      if (j === 0) for (let i = 0; i < d; i++) out[o + i] = Math.fround(wj * mem[from + i]!);
      else for (let i = 0; i < d; i++) out[o + i] = Math.fround(out[o + i]! + Math.fround(wj * mem[from + i]!));
    }
  }
  return be.makeTensorInfo([M, B, d], 'float32', out);
}
