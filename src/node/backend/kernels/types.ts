/** A native kernel: returns null when it does not handle the call, so the tfjs-cpu kernel runs instead. */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

export type KernelArgs = Parameters<KernelFunc>[0];

export interface NativeKernel {
  kernelName: string;
  run(args: KernelArgs): TensorInfo | TensorInfo[] | null;
}

/** A required input of a kernel call. */
export function need(args: KernelArgs, name: string): TensorInfo {
  const t = (args.inputs as Record<string, TensorInfo | undefined>)[name];
  if (!t) throw new Error(`kernel input "${name}" is missing`);
  return t;
}

/** An optional input of a kernel call. */
export function maybe(args: KernelArgs, name: string): TensorInfo | undefined {
  return (args.inputs as Record<string, TensorInfo | undefined>)[name];
}
