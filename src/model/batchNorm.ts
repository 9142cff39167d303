/**
 * Batch normalization over NHWC channels with PyTorch semantics: eps 1e-5,
 * momentum 0.1, running variance updated with the unbiased batch variance.
 * Modes:
 *  - 'train':     batch statistics; running statistics updated
 *  - 'running':   running statistics (inference)
 *  - 'per-image': each image normalized by its own statistics (a batch of one;
 *                 the reference's way of scoring with the discriminator)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';
import { stopGradient } from './detach.js';

export type BnMode = 'train' | 'running' | 'per-image';

const EPS = 1e-5;
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
  apply(x: tf.Tensor4D, mode: BnMode): tf.Tensor4D {
    if (mode === 'running') {
      return tf.batchNorm4d(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, this.beta as tf.Tensor1D, this.gamma as tf.Tensor1D, EPS);
    }
    if (mode === 'per-image') {
      const { mean, variance } = tf.moments(x, [1, 2], true); // [N,1,1,C]
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
      return tf.add(tf.mul(normed, this.gamma), this.beta);
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2]); // [C]
    this.updateRunning(mean as tf.Tensor1D, variance as tf.Tensor1D, x.size / this.channels);
    return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, this.beta as tf.Tensor1D, this.gamma as tf.Tensor1D, EPS);
  }

  private updateRunning(mean: tf.Tensor1D, variance: tf.Tensor1D, count: number): void {
    const m = stopGradient(mean);
    const v = stopGradient(variance);
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const newMean = tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - MOMENTUM), tf.mul(m, MOMENTUM)));
    const newVar = tf.tidy(() => tf.add(tf.mul(this.runningVar, 1 - MOMENTUM), tf.mul(v, MOMENTUM * unbiased)));
    this.runningMean.assign(newMean);
    this.runningVar.assign(newVar);
    newMean.dispose();
    newVar.dispose();
    m.dispose();
    v.dispose();
  }
}
