/**
 * Memory read shared by the memory queue and the memory matrices:
 * similarities w = q . M^T, addressing weights by Gumbel top-k shrinkage (or
 * softmax), read-out = weights . M. One memory per leading index.
 * q [M,B,d], memory [M,S,d] -> [M,B,d]
 *
 * Inference (no gradient) with shrinkage: the weights have at most k
 * non-zero entries per row (gumbelShrinkage.ts), so the read-out sums only
 * those k memory rows: the same sum without its zero terms, reading k rows
 * instead of all S (zhanglab: 4 of 200 rows, ~45 MB less memory traffic per
 * image). Top-k has no gradient: training uses the dense form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gumbelShrinkage, shrinkTopK } from './gumbelShrinkage.js';
import { sparseRead } from '../ops/sparseRead/op.js';

export type ReadMode = 'train' | 'inference';

export function memoryRead(q: tf.Tensor3D, memory: tf.Tensor3D, topK: number, gumbel: boolean, mode: ReadMode): tf.Tensor3D {
  const w = tf.matMul(q, memory, false, true); // [M,B,S]
  const [, S] = memory.shape;
  if (mode === 'inference' && gumbel && topK < S) {
    const { weights, indices } = shrinkTopK(tf.softmax(w), topK); // [M,B,k] each
    return sparseRead(memory, indices as tf.Tensor3D, weights as tf.Tensor3D); // [M,B,d]
  }
  const a = gumbelShrinkage(w, topK, gumbel);
  return tf.matMul(a, memory); // [M,B,d]
}
