/**
 * Tensors declared constant (values never written while the tensor lives):
 * the native convolution keeps such a filter reordered into oneDNN's layout
 * instead of reordering it on every call (native/src/conv/memory.cc,
 * constantFilters). Each declared tensor storage gets an id; the backend
 * forgets it, and the addon drops the kept copies, when the storage is freed.
 *
 * Once the addon keeps a copy, the tensor's own array is dropped (evicted):
 * its storage goes back to the C heap and the tensor's `values` becomes an
 * accessor that reads the values back from the kept copy (exactly, a
 * reorder) if anything but the convolution asks for them. The folded
 * inference filters are then held once instead of twice (zhanglab: 44 MB).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { alloc, discard, hold } from './storage.js';

const ids = new Map<tf.DataId, number>();
const evicted = new Set<tf.DataId>();
let nextId = 1;
let release: ((id: number) => void) | undefined;

/** Set once by the native backend: frees the addon's copies of an id. */
export function onConstantReleased(fn: (id: number) => void): void {
  release = fn;
}

export function markConstant(dataId: tf.DataId): void {
  if (!ids.has(dataId)) ids.set(dataId, nextId++);
}

/** The id of a declared constant, 0 when the storage was not declared. */
export function constantId(dataId: tf.DataId): number {
  return ids.get(dataId) ?? 0;
}

/** Whether the storage's own array was dropped (its values live in the addon's kept copy). */
export function isEvicted(dataId: tf.DataId): boolean {
  return evicted.has(dataId);
}

/** Called when a storage is freed. */
export function forgetConstant(dataId: tf.DataId): void {
  evicted.delete(dataId);
  const id = ids.get(dataId);
  if (id === undefined) return;
  ids.delete(dataId);
  release?.(id);
}

type DataRecord = { values: tf.backend_util.BackendValues };

/** Sets `values` back to a plain data property. */
function settle(rec: DataRecord, v: tf.backend_util.BackendValues): void {
  Object.defineProperty(rec, 'values', { value: v, writable: true, configurable: true, enumerable: true });
}

/**
 * After a convolution with the constant filter `dataId`: drops the tensor's
 * own array when the addon keeps a copy (see above).
 */
export function evictIfKept(backend: MathBackendCPU, addon: NativeAddon, dataId: tf.DataId): void {
  const id = ids.get(dataId);
  if (id === undefined || evicted.has(dataId) || !backend.data.has(dataId) || !addon.constantFilterKept(id)) return;
  const rec = backend.data.get(dataId) as unknown as DataRecord;
  const values = rec.values;
  if (!(values instanceof Float32Array)) return;
  const n = values.length;
  evicted.add(dataId);
  Object.defineProperty(rec, 'values', {
    configurable: true,
    enumerable: true,
    get(): Float32Array {
      const v = alloc(n);
      addon.readConstantFilter(id, v);
      hold(v);
      evicted.delete(dataId);
      settle(rec, v);
      return v;
    },
    set(v: tf.backend_util.BackendValues) {
      evicted.delete(dataId);
      settle(rec, v);
    },
  });
  discard(values);
}
