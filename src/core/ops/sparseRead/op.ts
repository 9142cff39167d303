/**
 * The read-out of a k-sparse memory addressing (Gumbel top-k shrinkage at
 * inference, src/core/squid/memoryRead.ts): only the k addressed rows of each
 * memory, weighted. One kernel, SquidSparseRead, on cpu (a JavaScript loop)
 * and native (native/src/matmul.cc: reads the rows in place instead of
 * gathering them into a copy first); tfjs ops (gather + matMul) elsewhere.
 * The j are summed in order. No gradient. Browser-safe.
 * memory [M,S,d], indices [M,B,k] (int32, rows of memory m), weights [M,B,k]
 *   -> out [M,B,d], out[m,b,:] = sum_j weights[m,b,j] * memory[m, indices[m,b,j], :]
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const SPARSE_READ = 'SquidSparseRead';

/** The same result in tfjs ops: one gather of the addressed rows and a batched [1,k] . [k,d] product. */
export function sparseReadOps(memory: tf.Tensor3D, indices: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [M, S, d] = memory.shape;
    const [, B, k] = indices.shape;
    // row m*S + index of memory m, for each of the k weights
    const base = tf.reshape(tf.mul(tf.range(0, M, 1, 'int32'), tf.scalar(S, 'int32')), [M, 1, 1]);
    const rows = tf.gather(tf.reshape(memory, [M * S, d]), tf.reshape(tf.add(indices, base), [-1])); // [M*B*k, d]
    const out = tf.matMul(tf.reshape(weights, [M * B, 1, k]), tf.reshape(rows, [M * B, k, d])); // [M*B,1,d]
    return tf.reshape(out, [M, B, d]);
  });
}

export function sparseRead(memory: tf.Tensor3D, indices: tf.Tensor3D, weights: tf.Tensor3D): tf.Tensor3D {
  if (memory.dtype === 'float32' && weights.dtype === 'float32' && indices.dtype === 'int32' && tf.getKernel(SPARSE_READ, tf.getBackend())) {
    return tf.engine().runKernel(SPARSE_READ, { memory, indices, weights }, {}) as tf.Tensor3D;
  }
  return sparseReadOps(memory, indices, weights);
}

/** Checks the shapes; returns [M, S, d, B, k]. */
export function sparseReadShapes(memory: tf.TensorInfo, indices: tf.TensorInfo, weights: tf.TensorInfo): [number, number, number, number, number] {
  const [M, S, d] = memory.shape as [number, number, number];
  const [Mi, B, k] = indices.shape as [number, number, number];
  if (memory.shape.length !== 3 || indices.shape.length !== 3 || Mi !== M || !tf.util.arraysEqual(indices.shape, weights.shape)) {
    throw new Error(`SquidSparseRead: memory [M,S,d] ${JSON.stringify(memory.shape)} needs indices and weights [M,B,k], got ${JSON.stringify(indices.shape)} and ${JSON.stringify(weights.shape)}`);
  }
  return [M, S, d, B, k];
}
