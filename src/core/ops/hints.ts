/**
 * Hints from model and program code to the active backend. Backends without
 * a hint's method (cpu, webgl, wasm) ignore it. Browser-safe.
 *
 * - hintConstant(t): t's values never change while it lives (e.g. inference
 *   weights folded from a conv and a batch norm), so the backend may keep a
 *   prepared copy of it (the native convolution keeps it in oneDNN's layout).
 * - hintWorkload(kind): what the process does. 'training' keeps peak memory
 *   low (the native backend gives the pages of free output buffers back to
 *   the system above a bound, and faults them in again when reused);
 *   'inference' favours speed (a scoring pass reuses the same buffers batch
 *   after batch, and re-faulting them costs more time than the memory it
 *   saves is worth: bench/README.md). The native backend starts in 'training'.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Workload = 'training' | 'inference';

interface HintAware {
  hintConstant(dataId: tf.DataId): void;
  hintWorkload(kind: Workload): void;
}

function backendHints(): Partial<HintAware> {
  return tf.backend() as Partial<HintAware>;
}

export function hintConstant(t: tf.Tensor): void {
  backendHints().hintConstant?.(t.dataId);
}

export function hintWorkload(kind: Workload): void {
  backendHints().hintWorkload?.(kind);
}
