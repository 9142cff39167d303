/**
 * Masked shortcut (training only): a Bernoulli(keepProb) mask per spatial
 * position, out = m * processed + (1 - m) * input. Masks come from the
 * caller's Rng so that training is reproducible and resumable.
 * [N,H,W,C] x2 -> [N,H,W,C]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';

/** 0/1 mask [N,H,W,1], 1 with probability keepProb. */
export function bernoulliMask(rng: Rng, n: number, h: number, w: number, keepProb: number): tf.Tensor4D {
  const values = new Float32Array(n * h * w);
  for (let i = 0; i < values.length; i++) values[i] = rng.next() < keepProb ? 1 : 0;
  return tf.tensor4d(values, [n, h, w, 1]);
}

export function maskedShortcut(processed: tf.Tensor4D, input: tf.Tensor4D, rng: Rng, keepProb: number): tf.Tensor4D {
  const [n, h, w] = processed.shape;
  const m = bernoulliMask(rng, n, h, w, keepProb);
  return tf.add(tf.mul(m, processed), tf.mul(tf.sub(1, m), input));
}
