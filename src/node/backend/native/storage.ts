/** Access to the Float32Array storage that the native backend shares with tfjs-cpu. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { loadAddon, type NativeAddon } from './addon.js';

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
 * Output buffers of native kernels: blocks on the C heap (allocF32, see
 * native/src/storage.cc), recycled. When tfjs disposes the last tensor
 * holding a block, it goes to a free list keyed by length and the next
 * output of that length reuses it, most recently freed first (still in
 * cache; no page faults, no waiting for V8's garbage collector). Past
 * SQUID_POOL_MB of free blocks (default 2048) a freed block goes straight
 * back to the C heap; free blocks over a resident bound give their pages
 * back to the system, and a longer free block may serve a shorter output
 * (both below). SQUID_POOL_MB=0 frees every block at once (glibc reuses it,
 * and V8 collects far more often); what each setting costs in step time and
 * peak memory is measured in bench/README.md ("Native memory, matmul and
 * layout").
 * NativeBackend.readSync hands out copies of pooled arrays, so values read
 * by dataSync() stay valid after their tensor is disposed and reused.
 */
const holders = new WeakMap<Float32Array, number>(); // arrays we allocated -> tensors holding them
const free = new Map<number, Float32Array[]>(); // length -> free blocks, most recent last
let pooledBytes = 0;
const maxPooledBytes = Number(process.env.SQUID_POOL_MB ?? '2048') * 2 ** 20;
let addon: NativeAddon | undefined;

/*
 * Resident bound. Free blocks wait for a block of their length, often until
 * after the point where the most memory is in use (e.g. a gradient's length
 * freed in one backward pass, wanted in the next): at zhanglab ~400 MB of
 * them sat in the list at the training step's peak. Blocks that would raise
 * (bytes held by tensors + resident free blocks) above the highest bytes held
 * by tensors so far (+ SQUID_POOL_SLACK_MB, default 64) have their pages
 * given back to the system (adviseF32), least recently freed first; they
 * stay in the list (no new ArrayBuffer, no garbage collection) and are
 * faulted in again when reused. The cost is those faults, largest in
 * batched inference, where the hint 'inference' (src/core/ops/hints.ts)
 * turns the bound off; SQUID_POOL_RESIDENT=0 turns it off everywhere
 * (measurements: bench/README.md).
 */
const boundAllowed = process.env.SQUID_POOL_RESIDENT !== '0';
let boundResident = boundAllowed;

/** Turns the resident bound on (training, the default) or off (inference: see src/core/ops/hints.ts). */
export function setResidentBound(on: boolean): void {
  boundResident = on && boundAllowed;
}
const kResidentSlack = Number(process.env.SQUID_POOL_SLACK_MB ?? '64') * 2 ** 20;
let allocatedBytes = 0; // blocks from allocF32 not yet released (held or free)
let maxHeldBytes = 0;
let coldBytes = 0; // free blocks whose pages were given back
const cold = new WeakSet<Float32Array>();
const residentOrder = new Map<Float32Array, true>(); // resident free blocks, least recently freed first

function heldBytes(): number {
  return allocatedBytes - pooledBytes;
}

function enforceResidentBound(): void {
  const held = heldBytes();
  if (held > maxHeldBytes) maxHeldBytes = held;
  if (!boundResident) return;
  const limit = maxHeldBytes + kResidentSlack;
  while (held + pooledBytes - coldBytes > limit && residentOrder.size > 0) {
    const b = residentOrder.keys().next().value as Float32Array;
    residentOrder.delete(b);
    addon?.adviseF32(b);
    cold.add(b);
    coldBytes += b.byteLength;
  }
}

/** Takes a block out of the free list's accounting (reused or freed). */
function unpool(a: Float32Array): void {
  pooledBytes -= a.byteLength;
  residentOrder.delete(a);
  if (cold.delete(a)) coldBytes -= a.byteLength;
}

/*
 * Fit. When no free block has the wanted length, the smallest free block
 * shorter than twice that length serves it (the output is a view on its
 * start; the whole block returns to its own list when released) before a new
 * block is taken from the C heap. Fewer blocks in all, so fewer of them wait
 * unused at the peak (measurements: bench/README.md). SQUID_POOL_FIT=0
 * turns it off.
 */
const fit = process.env.SQUID_POOL_FIT !== '0';
const bases = new WeakMap<Float32Array, Float32Array>(); // a view on a larger free block -> that block

/** The smallest free block longer than n and shorter than 2n, taken off its list. */
function takeLarger(n: number): Float32Array | undefined {
  let best = 0;
  for (const [len, list] of free) if (len > n && len < 2 * n && list.length > 0 && (best === 0 || len < best)) best = len;
  return best === 0 ? undefined : free.get(best)!.pop();
}

/** An uninitialized Float32Array of n floats for outputs the native code writes completely. */
export function alloc(n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  addon ??= loadAddon();
  let a = free.get(n)?.pop();
  if (a) unpool(a);
  else if (fit && (a = takeLarger(n))) {
    unpool(a);
    const v = a.subarray(0, n);
    bases.set(v, a);
    a = v;
  } else {
    a = addon.allocF32(n);
    allocatedBytes += a.byteLength;
  }
  holders.set(a, 0);
  enforceResidentBound();
  return a;
}

/** True for arrays from alloc() that are not yet released. */
export function isPooled(a: unknown): a is Float32Array {
  return a instanceof Float32Array && holders.has(a);
}

/** A tensor now holds this array. */
export function hold(a: unknown): void {
  if (isPooled(a)) holders.set(a, (holders.get(a) ?? 0) + 1);
}

/**
 * A tensor released this array; the last release puts it in the free list of
 * its length (the most recently freed block is reused first, while still in
 * cache), or frees it to the C heap past SQUID_POOL_MB of free blocks.
 */
export function release(a: unknown): void {
  if (!isPooled(a)) return;
  const n = (holders.get(a) ?? 0) - 1;
  if (n > 0) {
    holders.set(a, n);
    return;
  }
  holders.delete(a);
  const block = bases.get(a) ?? a; // a view on a larger block returns that block
  bases.delete(a);
  if (pooledBytes + block.byteLength > maxPooledBytes) {
    if (addon?.releaseF32(block)) allocatedBytes -= block.byteLength;
    return;
  }
  const list = free.get(block.length);
  if (list) list.push(block);
  else free.set(block.length, [block]);
  pooledBytes += block.byteLength;
  residentOrder.set(block, true);
  enforceResidentBound();
}

/**
 * A tensor released this array for good (an evicted constant filter, see
 * constantFilters.ts): the last release frees its block to the C heap
 * instead of pooling it (a view on a larger block returns that block to the
 * pool as release does).
 */
export function discard(a: unknown): void {
  if (!isPooled(a) || bases.has(a) || (holders.get(a) ?? 0) > 1) {
    release(a);
    return;
  }
  holders.delete(a);
  if (addon?.releaseF32(a)) allocatedBytes -= a.byteLength;
}

/** Native output blocks currently allocated on the C heap (held by tensors or free in the pool). */
export function liveNativeBuffers(): number {
  return addon ? addon.liveBlocks() : 0;
}

/** Bytes of free blocks waiting for reuse. */
export function pooledMegabytes(): number {
  return pooledBytes / 2 ** 20;
}

/** The free list by block length (floats): how many blocks of each length wait for reuse. For memory profiles. */
export function pooledBlocks(): { length: number; count: number }[] {
  return [...free.entries()].filter(([, l]) => l.length > 0).map(([length, l]) => ({ length, count: l.length }));
}

/** Bytes of free blocks whose pages were given back (see the resident bound). */
export function coldMegabytes(): number {
  return coldBytes / 2 ** 20;
}
