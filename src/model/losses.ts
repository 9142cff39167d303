/** Loss functions (means over all elements, as PyTorch's defaults). */
import * as tf from '@tensorflow/tfjs-core';

export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(a, b));
}

/** Binary cross-entropy on logits against a constant label (0 or 1), numerically stable. */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  // max(z,0) - z*y + log(1 + exp(-|z|))
  const z = logits;
  const lin = label === 1 ? tf.sub(tf.relu(z), z) : tf.relu(z);
  return tf.mean(tf.add(lin, tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
}
