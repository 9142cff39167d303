/**
 * Memory read shared by the memory queue and the memory matrices:
 * similarities w = q . M^T, addressing weights by Gumbel top-k shrinkage (or
 * softmax), read-out = weights . M. One memory per leading index.
 * q [M,B,d], memory [M,S,d] -> [M,B,d]
 */
import * as tf from '@tensorflow/tfjs-core';
import { gumbelShrinkage } from './gumbelShrinkage.js';

export function memoryRead(q: tf.Tensor3D, memory: tf.Tensor3D, topK: number, gumbel: boolean): tf.Tensor3D {
  const w = tf.matMul(q, memory, false, true); // [M,B,S]
  const a = gumbelShrinkage(w, topK, gumbel);
  return tf.matMul(a, memory); // [M,B,d]
}
