/**
 * A hint from model code to the backend: this tensor's values never change
 * while it lives (e.g. inference weights folded from a conv and a batch
 * norm), so the backend may keep a prepared copy of it. Backends without the
 * hint (cpu, webgl, wasm) ignore it. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';

interface ConstantAware {
  hintConstant(dataId: tf.DataId): void;
}

export function hintConstant(t: tf.Tensor): void {
  const b = tf.backend() as Partial<ConstantAware>;
  if (typeof b.hintConstant === 'function') b.hintConstant(t.dataId);
}
