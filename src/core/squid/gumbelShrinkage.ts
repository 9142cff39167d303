/**
 * Gumbel top-k shrinkage (nothing random despite the name), on the last axis:
 *   y = softmax(w)
 *   t = the (k+1)-th largest y (strict comparison keeps the k largest)
 *   h = relu(y - t) * y / (|y - t| + 1e-12), then L1-normalized
 * Forward returns h (exactly k non-zero entries per row when values are
 * distinct); backward is the gradient of y (straight-through,
 * h_st = y + stop_gradient(h - y)).
 * w [..., S] -> [..., S]
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasShrinkTopK, shrinkTopKKernel } from '../ops/shrinkTopK/op.js';

/** L1-normalized relu(y - t) * y / (|y - t| + 1e-12) along the last axis; t broadcasts. */
function shrinkAbove(y: tf.Tensor, t: tf.Tensor): tf.Tensor {
  const diff = tf.sub(y, t);
  const h = tf.div(tf.mul(tf.relu(diff), y), tf.add(tf.abs(diff), 1e-12));
  return tf.div(h, tf.maximum(tf.sum(tf.abs(h), -1, true), 1e-12));
}

/** The k largest y along the last axis and the (k+1)-th: values [..., k], indices [..., k], threshold [..., 1]. */
function topAndThreshold(y: tf.Tensor, k: number): { values: tf.Tensor; indices: tf.Tensor; t: tf.Tensor } {
  const top = tf.topk(y, k + 1, true); // [..., k+1] descending
  const lead = top.values.shape.slice(0, -1);
  const begin = new Array<number>(top.values.rank).fill(0);
  return {
    values: tf.slice(top.values, begin, [...lead, k]),
    indices: tf.slice(top.indices, begin, [...lead, k]),
    t: tf.slice(top.values, [...begin.slice(0, -1), k], [...lead, 1]),
  };
}

/** The hard, k-sparse, L1-normalized weights of probabilities y (no gradient). */
export function hardShrink(y: tf.Tensor, k: number): tf.Tensor {
  const slots = y.shape[y.shape.length - 1] as number;
  if (k >= slots) return tf.div(y, tf.maximum(tf.sum(tf.abs(y), -1, true), 1e-12));
  return shrinkAbove(y, topAndThreshold(y, k).t);
}

/**
 * hardShrink's non-zero part: the weights of the k largest y (in descending
 * order of y) and their indices, normalized as hardShrink normalizes; every
 * other entry of hardShrink(y, k) is exactly 0. No gradient. k < S.
 * y [..., S] -> weights [..., k], indices [..., k]
 */
export function shrinkTopK(y: tf.Tensor, k: number): { weights: tf.Tensor; indices: tf.Tensor } {
  // one kernel on cpu and native (src/core/ops/shrinkTopK/op.ts), tfjs ops elsewhere
  if (y.dtype === 'float32' && hasShrinkTopK()) return shrinkTopKKernel(y, k);
  return shrinkTopKOps(y, k);
}

/** shrinkTopK in tfjs ops (the reference the kernel is tested against). */
export function shrinkTopKOps(y: tf.Tensor, k: number): { weights: tf.Tensor; indices: tf.Tensor } {
  const { values, indices, t } = topAndThreshold(y, k);
  return { weights: shrinkAbove(values, t), indices };
}

/** Straight-through: forward hardShrink(y), backward identity into y. */
export function straightThroughShrink<T extends tf.Tensor>(y: T, k: number): T {
  const f = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: hardShrink(inputs[0] as tf.Tensor, k),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return f(y) as T;
}

/** Addressing weights from similarities w: Gumbel top-k shrinkage, or plain softmax when disabled. */
export function gumbelShrinkage<T extends tf.Tensor>(w: T, k: number, enabled = true): T {
  const y = tf.softmax(w) as T;
  return enabled ? straightThroughShrink(y, k) : y;
}
