/**
 * The position task (a self-supervised task, trained on normal images only).
 *
 * SQUID's premise is that normal anatomy sits in the same place in every
 * image: the pattern at grid position p is what makes p. A linear head reads
 * each patch's deepest per-patch encoder map and guesses which of the N
 * positions it came from; its cross-entropy, added to the generator's loss
 * (weight model.positionLoss), trains the encoder to keep what tells
 * positions apart (which digit, which organ) and to drop what does not (the
 * writer's hand, the patient). The `position` score reads the head: a patch
 * that does not look like its own position (a misplaced, mirrored or absent
 * digit; an opacity over the lung) gets a low probability there.
 *   skip [B*N, s, s, C] (rows image-major) -> logits [B*N, N] -> loss []
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { Linear } from './layers.js';

export class PositionHead {
  private readonly linear: Linear;

  constructor(store: ParamStore, name: string, readonly positions: number, readonly inputDim: number) {
    this.linear = new Linear(store, name, inputDim, positions);
  }

  /** skip [B*N, s, s, C] -> logits [B*N, N] */
  logits(skip: tf.Tensor4D): tf.Tensor2D {
    return this.linear.apply(tf.reshape(skip, [skip.shape[0], this.inputDim]) as tf.Tensor2D);
  }

  /** skip [B*N, s, s, C] -> each patch's log-probability of its true position, [B*N] */
  logProbs(skip: tf.Tensor4D): tf.Tensor1D {
    const rows = skip.shape[0];
    const N = this.positions;
    const logits = this.logits(skip);
    const truth = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, r) => r % N), 'int32'), N); // row r is position r mod N
    return tf.sum(tf.mul(truth, tf.logSoftmax(logits)), 1) as tf.Tensor1D;
  }

  /** skip [B*N, s, s, C] -> mean cross-entropy of each patch's true position */
  loss(skip: tf.Tensor4D): tf.Scalar {
    return tf.neg(tf.mean(this.logProbs(skip))) as tf.Scalar;
  }
}
