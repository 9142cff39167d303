/**
 * stopGradient: the same values as a new tensor that no gradient tape can
 * trace back (shares the data buffer with one more reference, like
 * tf.clone's kernel, but through no recorded op), i.e. PyTorch's `.detach()`.
 * Backward passes stop here instead of carrying zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import { requireKnownTfjs } from './version.js';

requireKnownTfjs('stopGradient (detach.ts)');

export function stopGradient<T extends tf.Tensor>(x: T): T {
  const engine = tf.engine();
  engine.backend.incRef(x.dataId);
  return engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype) as T;
}
