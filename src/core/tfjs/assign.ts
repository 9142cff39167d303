/**
 * A state update: replaces a variable's value with one computed from
 * tensors, freeing the computation's tensors (the model's non-trained state:
 * batch-norm running statistics, the memory queue, the patch memory).
 */
import * as tf from '@tensorflow/tfjs-core';

export function assignFrom(v: tf.Variable, value: () => tf.Tensor): void {
  tf.tidy(() => v.assign(value()));
}
