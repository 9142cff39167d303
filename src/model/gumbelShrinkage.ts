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

/** The hard, k-sparse, L1-normalized weights of probabilities y (no gradient). */
export function hardShrink(y: tf.Tensor, k: number): tf.Tensor {
  return tf.tidy(() => {
    const slots = y.shape[y.shape.length - 1] as number;
    if (k >= slots) return tf.div(y, tf.maximum(tf.sum(tf.abs(y), -1, true), 1e-12));
    const top = tf.topk(y, k + 1, true).values; // [..., k+1] descending
    const t = tf.slice(top, new Array<number>(top.rank).fill(0).map((_, i) => (i === top.rank - 1 ? k : 0)), [...top.shape.slice(0, -1), 1]);
    const diff = tf.sub(y, t);
    const h = tf.div(tf.mul(tf.relu(diff), y), tf.add(tf.abs(diff), 1e-12));
    return tf.div(h, tf.maximum(tf.sum(tf.abs(h), -1, true), 1e-12));
  });
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
