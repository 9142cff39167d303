/**
 * Training-mode batch normalization helpers over NHWC channels, fused where
 * the active backend has the kernels (native: C++, one or two passes and no
 * temporaries; cpu: JavaScript loops), else tfjs ops (browser backends).
 * Browser-safe. The math is that of src/core/squid/batchNorm.ts:
 * - batchMoments(x): mean and biased variance over N,H,W  (= tf.moments(x, [0,1,2]))
 * - batchNormTrainGrad(dy, x, gamma, mean, rstd): the closed-form backward
 *     xhat = (x - mean) rstd; dbeta = sum dy; dgamma = sum dy xhat
 *     dx = gamma rstd (dy - dbeta / M - xhat dgamma / M), M = N*H*W
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const BATCH_NORM_GRAD = 'SquidBatchNormGrad';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const BATCH_MOMENTS = 'SquidBatchMoments';

const has = (name: string): boolean => !!tf.getKernel(name, tf.getBackend());

/** x [N,H,W,C] -> mean [C], variance [C] (no gradient: call on a detached x). */
export function batchMoments(x: tf.Tensor4D): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (x.dtype === 'float32' && has(BATCH_MOMENTS)) {
    const [mean, variance] = tf.engine().runKernel(BATCH_MOMENTS, { x }, {}) as tf.Tensor[];
    return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** dy, x [N,H,W,C]; gamma, mean, rstd [C] -> dx [N,H,W,C], dgamma [C], dbeta [C]. */
export function batchNormTrainGrad(
  dy: tf.Tensor4D, x: tf.Tensor4D, gamma: tf.Tensor1D, mean: tf.Tensor1D, rstd: tf.Tensor1D,
): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  if ([dy, x, gamma, mean, rstd].every((t) => t.dtype === 'float32') && has(BATCH_NORM_GRAD)) {
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, gamma, mean, rstd }, {}) as tf.Tensor[];
    return { dx: dx as tf.Tensor4D, dgamma: dgamma as tf.Tensor1D, dbeta: dbeta as tf.Tensor1D };
  }
  return batchNormTrainGradOps(dy, x, gamma, mean, rstd);
}

/** The same backward in tfjs ops (the reference the fused kernels are tested against). */
export function batchNormTrainGradOps(
  dy: tf.Tensor4D, x: tf.Tensor4D, gamma: tf.Tensor1D, mean: tf.Tensor1D, rstd: tf.Tensor1D,
): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const count = x.size / (x.shape[3] as number);
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    const dbeta = tf.sum(dy, [0, 1, 2]) as tf.Tensor1D;
    const dgamma = tf.sum(tf.mul(dy, xhat), [0, 1, 2]) as tf.Tensor1D;
    const inner = tf.sub(tf.sub(dy, tf.mul(xhat, tf.div(dgamma, count))), tf.div(dbeta, count));
    const dx = tf.mul(inner, tf.mul(gamma, rstd)) as tf.Tensor4D;
    return { dx, dgamma, dbeta };
  });
}
