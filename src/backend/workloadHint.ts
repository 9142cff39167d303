/**
 * A hint from the program to the backend about what the process does:
 * 'training' keeps peak memory low (the native backend gives the pages of
 * free output buffers back to the system above a bound, and faults them in
 * again when reused), 'inference' favours speed (a scoring pass reuses the
 * same buffers batch after batch; re-faulting them cost ~14% in batches of
 * 16 at zhanglab, for ~100 MB less peak memory). The native backend starts in
 * 'training'; other backends ignore the hint. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Workload = 'training' | 'inference';

interface WorkloadAware {
  hintWorkload(kind: Workload): void;
}

export function hintWorkload(kind: Workload): void {
  const b = tf.backend() as Partial<WorkloadAware>;
  if (typeof b.hintWorkload === 'function') b.hintWorkload(kind);
}
