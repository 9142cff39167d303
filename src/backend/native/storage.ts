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

/**
 * Output buffers of native kernels, recycled: when tfjs disposes a tensor
 * whose storage we allocated and no other tensor holds that array, the
 * array goes to a free list keyed by length and the next output of that
 * length reuses it. Memory is reused at once (as PyTorch's caching
 * allocator does) instead of waiting for V8's garbage collector, and fresh
 * pages (page faults, zero-fill) are avoided. NativeBackend.readSync hands
 * out copies of pooled arrays, so values read by dataSync() stay valid after
 * their tensor is disposed. SQUID_POOL_MB caps the free lists (default 2048).
 */
const holders = new WeakMap<Float32Array, number>(); // arrays we allocated -> tensors holding them
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
const maxPooledBytes = Number(process.env.SQUID_POOL_MB ?? '2048') * 2 ** 20;

/** An uninitialized Float32Array of n floats (recycled when possible) for outputs the native code writes completely. */
export function alloc(n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  const list = free.get(n);
  const reused = list?.pop();
  if (reused) {
    pooledBytes -= reused.byteLength;
    return reused;
  }
  const a = new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
  holders.set(a, 0);
  return a;
}

/** True for arrays from alloc(). */
export function isPooled(a: unknown): a is Float32Array {
  return a instanceof Float32Array && holders.has(a);
}

/** A tensor now holds this array. */
export function hold(a: unknown): void {
  if (isPooled(a)) holders.set(a, (holders.get(a) ?? 0) + 1);
}

/** A tensor released this array; the last release recycles it. */
export function release(a: unknown): void {
  if (!isPooled(a)) return;
  const n = (holders.get(a) ?? 0) - 1;
  holders.set(a, Math.max(0, n));
  if (n > 0 || pooledBytes + a.byteLength > maxPooledBytes) return;
  const list = free.get(a.length);
  if (list) list.push(a);
  else free.set(a.length, [a]);
  pooledBytes += a.byteLength;
}

/** Bytes waiting in the free lists. */
export function pooledMegabytes(): number {
  return pooledBytes / 2 ** 20;
}

/** Drops the free lists (memory goes back to the garbage collector). */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}
