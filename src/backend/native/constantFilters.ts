/**
 * Tensors declared constant (values never written while the tensor lives):
 * the native convolution keeps such a filter reordered into oneDNN's layout
 * instead of reordering it on every call (native/src/conv.cc,
 * constantFilters). Each declared tensor storage gets an id; the backend
 * forgets it, and the addon drops the kept copies, when the storage is freed.
 */
import type * as tf from '@tensorflow/tfjs-core';

const ids = new Map<tf.DataId, number>();
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

/** Called when a storage is freed. */
export function forgetConstant(dataId: tf.DataId): void {
  const id = ids.get(dataId);
  if (id === undefined) return;
  ids.delete(dataId);
  release?.(id);
}
