/** The JavaScript kernel of shrinkTopK for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { ShrinkTopKAttrs } from './op.js';

/** The kernel (registered for cpu and native): reads and writes CPU storage. */
export function shrinkTopKCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { y } = args.inputs as unknown as { y: tf.TensorInfo };
  const { k } = args.attrs as unknown as ShrinkTopKAttrs;
  const be = args.backend as MathBackendCPU;
  const v = be.data.get(y.dataId).values as Float32Array;
  const S = y.shape[y.shape.length - 1] as number;
  if (!(k >= 1 && k < S)) throw new Error(`SquidShrinkTopK: k must be in [1, ${S - 1}], got ${k}`);
  const rows = v.length / S;
  const weights = new Float32Array(rows * k);
  const indices = new Int32Array(rows * k);
  const f = Math.fround;
  const order = new Int32Array(S);
  for (let r = 0; r < rows; r++) {
    const o = r * S;
    // the k + 1 largest by insertion into a short sorted list (k is small)
    let n = 0;
    for (let i = 0; i < S; i++) {
      const x = v[o + i]!;
      if (n === k + 1 && !(x > v[o + order[k]!]!)) continue; // ties keep the lower index
      let j = n < k + 1 ? n++ : k;
      while (j > 0 && x > v[o + order[j - 1]!]!) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
    const t = v[o + order[k]!]!;
    let l1 = 0;
    for (let j = 0; j < k; j++) {
      const yi = v[o + order[j]!]!;
      const d = f(yi - t);
      const h = f(f((d > 0 ? d : 0) * yi) / f(Math.abs(d) + 1e-12));
      weights[r * k + j] = h;
      indices[r * k + j] = order[j]!;
      l1 += Math.abs(h);
    }
    const denom = Math.max(f(l1), 1e-12);
    for (let j = 0; j < k; j++) weights[r * k + j] = f(weights[r * k + j]! / denom);
  }
  const shape = [...y.shape.slice(0, -1), k];
  return [be.makeTensorInfo(shape, 'float32', weights), be.makeTensorInfo(shape, 'int32', indices)];
}
