/**
 * The k-sparse weights of Gumbel top-k shrinkage at inference
 * (src/core/squid/gumbelShrinkage.ts, shrinkTopK) as one kernel, SquidShrinkTopK,
 * on the backends that keep tensors in CPU memory (cpu and native: the same
 * JavaScript loop, no temporaries); the model runs tfjs ops elsewhere. Per row
 * of y [..., S]: the k + 1 largest entries (ties: lower index first, as
 * tf.topk), t = the (k+1)-th, h_i = relu(y_i - t) * y_i / (|y_i - t| + 1e-12)
 * for the k largest, L1-normalized (denominator at least 1e-12); float32 at
 * every step as the ops compute it. No gradient. Browser-safe.
 * y [..., S] -> weights [..., k] (float32), indices [..., k] (int32)
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const SHRINK_TOP_K = 'SquidShrinkTopK';

export interface ShrinkTopKAttrs {
  k: number;
}

/** Whether the active backend has the kernel (else the caller runs tfjs ops). */
export function hasShrinkTopK(): boolean {
  return !!tf.getKernel(SHRINK_TOP_K, tf.getBackend());
}

export function shrinkTopKKernel(y: tf.Tensor, k: number): { weights: tf.Tensor; indices: tf.Tensor } {
  const [weights, indices] = tf.engine().runKernel(SHRINK_TOP_K, { y }, { k }) as tf.Tensor[];
  return { weights: weights as tf.Tensor, indices: indices as tf.Tensor };
}
