/** The JavaScript kernel of reluGrad for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** dy where the saved output y (input 'x') is > 0, else 0 (the native kernel's fallback, and its reference in tests). */
export function reluGradCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, x } = args.inputs as unknown as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const be = args.backend as MathBackendCPU;
  const d = be.data.get(dy.dataId).values as Float32Array;
  const v = be.data.get(x.dataId).values as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) > 0 ? (d[i] as number) : 0;
  return be.makeTensorInfo([...x.shape], 'float32', out);
}
