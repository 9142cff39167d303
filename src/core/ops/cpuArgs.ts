/** Reading a cpu kernel's inputs (the 'cpu' backend keeps each tensor's values in a typed array). Browser-safe. */
import type * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The input tensor `name`. */
export function inputOf(args: KernelArgs, name: string): tf.TensorInfo {
  return (args.inputs as Record<string, tf.TensorInfo>)[name] as tf.TensorInfo;
}

/** The float32 values of input `name`. */
export function valuesOf(args: KernelArgs, name: string): Float32Array {
  return (args.backend as MathBackendCPU).data.get(inputOf(args, name).dataId).values as Float32Array;
}
