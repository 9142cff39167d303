/** Access to the Float32Array storage that the native backend shares with tfjs-cpu. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** The float32 values of a tensor, without copying when already a Float32Array. */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (v instanceof Float32Array) return v;
  if (v === undefined || v === null) {
    // complex or not yet materialized: readSync resolves it
    return Float32Array.from(backend.readSync(t.dataId) as ArrayLike<number>);
  }
  return Float32Array.from(v as ArrayLike<number>);
}

export function isF32(t: TensorInfo): boolean {
  return t.dtype === 'float32';
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Wraps a freshly computed Float32Array as a tensor of the backend (no copy). */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}
