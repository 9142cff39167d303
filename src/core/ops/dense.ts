/**
 * act(x W + b) for x [M, in], W [in, out], b [out] -> [M, out]. Under a
 * gradient tape: matMul, add and the activation (their gradients); with no
 * gradient wanted: one _FusedMatMul kernel (bias and activation fused),
 * without tf.fused.matMul's gradient wrapper, its operands of rank 3 as that
 * op passes them (the webgl and wasm kernels read three dims). The same
 * math either way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../tfjs/tapePause.js';

export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'linear' | 'relu'): tf.Tensor2D {
  if (tapeRecording()) {
    const z = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
    return activation === 'relu' ? tf.relu(z) : z;
  }
  const [inF, outF] = w.shape;
  const inputs = { a: tf.reshape(x, [1, ...x.shape]), b: tf.reshape(w, [1, inF, outF]), bias: b };
  const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 };
  return tf.reshape(tf.engine().runKernel(tf._FusedMatMul, inputs, attrs) as tf.Tensor, [x.shape[0], outF]) as tf.Tensor2D;
}
