/**
 * ReLU's gradient from the saved output y = relu(x): dy where y > 0, else 0
 * (y > 0 exactly when x > 0). One fused kernel (SquidReluGrad) where the
 * active backend has it, else tfjs ops (browser backends). Browser-safe.
 *
 * Saving the output instead of the input is PyTorch's choice too: the output
 * is the next layer's input and is kept anyway, while the input (a batch-norm
 * output) can then be freed as soon as the forward pass has used it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const RELU_GRAD = 'SquidReluGrad';

export function reluGradFromOutput(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (y.dtype === 'float32' && dy.dtype === 'float32' && tf.getKernel(RELU_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(RELU_GRAD, { dy, x: y }) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.greater(y, 0), 'float32'));
}
