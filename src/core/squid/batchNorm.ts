/**
 * Batch normalization over NHWC channels with PyTorch semantics: eps 1e-5,
 * momentum 0.1, running variance updated with the unbiased batch variance.
 * Modes (the context's `bn`, context.ts):
 *  - 'train':     batch statistics; running statistics updated
 *  - 'train-shared': the same, with the running statistics updated as two
 *                 'train' passes over the same batch would (momentum applied
 *                 twice): the reference runs the generator forward twice per
 *                 GAN iteration (D step, G step); ganStep shares one forward
 *  - 'running':   running statistics (inference)
 *  - 'per-image': each image normalized by its own statistics (a batch of one;
 *                 the reference's way of scoring with the discriminator)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { stopGradient } from '../tfjs/detach.js';
import { assignFrom } from '../tfjs/assign.js';
import type { ForwardContext } from './context.js';
import { batchMoments, batchNormTrainGrad } from '../ops/batchNormTrain/op.js';
import { perImageNorm } from '../ops/perImageNorm/op.js';


export const BN_EPS = 1e-5;
const MOMENTUM = 0.1;

export class BatchNorm {
  readonly gamma: tf.Variable; // [C]
  readonly beta: tf.Variable; // [C]
  readonly runningMean: tf.Variable; // [C], not trainable
  readonly runningVar: tf.Variable; // [C], not trainable

  constructor(store: ParamStore, name: string, readonly channels: number) {
    this.gamma = store.variable(`${name}/gamma`, [channels], { kind: 'ones' });
    this.beta = store.variable(`${name}/beta`, [channels], { kind: 'zeros' });
    this.runningMean = store.variable(`${name}/running_mean`, [channels], { kind: 'zeros' }, false);
    this.runningVar = store.variable(`${name}/running_var`, [channels], { kind: 'ones' }, false);
  }

  /** [N,H,W,C] -> [N,H,W,C] */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const mode = ctx.bn;
    if (mode === 'running') {
      return tf.batchNorm4d(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, this.beta as tf.Tensor1D, this.gamma as tf.Tensor1D, BN_EPS);
    }
    if (mode === 'per-image') return perImageNorm(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, BN_EPS);
    // batch statistics (biased variance) of the detached input, one fused
    // kernel where the backend has it; the gradient through them is part of
    // batchNormTrain's own backward pass
    const { mean, variance } = batchMoments(stopGradient(x)); // [C]
    this.updateRunning(mean, variance, x.size / this.channels, mode === 'train-shared' ? 2 : 1);
    return batchNormTrain(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, mean, variance);
  }

  /** `updates` times r <- (1 - momentum) r + momentum s with the same s, in one step. */
  private updateRunning(mean: tf.Tensor1D, variance: tf.Tensor1D, count: number, updates: number): void {
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const keep = (1 - MOMENTUM) ** updates;
    const take = 1 - keep;
    assignFrom(this.runningMean, () => tf.add(tf.mul(this.runningMean, keep), tf.mul(stopGradient(mean), take)));
    assignFrom(this.runningVar, () => tf.add(tf.mul(this.runningVar, keep), tf.mul(stopGradient(variance), take * unbiased)));
  }
}

/**
 * Training-mode batch norm with the batch statistics (mean, variance of x
 * over N,H,W) given, and the closed-form backward pass (fewer, larger
 * kernels than differentiating the composite; one fused kernel where the
 * backend has it, see src/core/ops/batchNormTrain/op.ts):
 *   xhat = (x - mean) * rstd
 *   dbeta = sum(dy), dgamma = sum(dy * xhat)
 *   dx = gamma * rstd * (dy - dbeta / M - xhat * dgamma / M),  M = N*H*W
 * x [N,H,W,C] -> [N,H,W,C]; mean and variance get no gradient.
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, mean: tf.Tensor1D, variance: tf.Tensor1D): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xx, g, b, m, v] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const save = args[5] as tf.GradSaveFunc;
    const rstd = tf.rsqrt(tf.add(v, BN_EPS));
    save([xx, g, m, rstd]);
    return {
      value: tf.batchNorm4d(xx, m, v, b, g, BN_EPS),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sr] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const { dx, dgamma, dbeta } = batchNormTrainGrad(dy as tf.Tensor4D, sx, sg, sm, sr);
        return [dx, dgamma, dbeta, tf.zerosLike(sm), tf.zerosLike(sr)];
      },
    };
  });
  return f(x, gamma, beta, mean, variance) as tf.Tensor4D;
}
