/** Loss functions (means over all elements, as PyTorch's defaults). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * mean((a - b)^2), with its gradient 2 (a - b) / n dy written out: autodiff
 * of the composite would keep the (a - b)^2 tensor alive until the backward
 * pass (tfjs's Mean saves its input), one activation-sized tensor per
 * distillation level; this saves only a and b, which the layers keep anyway.
 */
export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(a.shape, b.shape)) return tf.mean(tf.squaredDifference(a, b));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([x, y]);
    return {
      value: tf.mean(tf.squaredDifference(x, y)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor, tf.Tensor];
        const g = tf.mul(tf.sub(sx, sy), tf.mul(dy, 2 / sx.size));
        return [g, tf.neg(g)];
      },
    };
  });
  return f(a, b) as tf.Scalar;
}

/** Binary cross-entropy on logits against a constant label (0 or 1), numerically stable. */
export function bceWithLogits(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  // max(z,0) - z*y + log(1 + exp(-|z|))
  const z = logits;
  const lin = label === 1 ? tf.sub(tf.relu(z), z) : tf.relu(z);
  return tf.mean(tf.add(lin, tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
}
