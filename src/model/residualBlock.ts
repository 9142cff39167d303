/**
 * The residual conv block of the encoder and decoder, `block(in, out, stride)`:
 *   a = ReLU(BN(conv3x3(in->out, stride)))
 *   b = BN(conv3x3(ReLU(BN(conv3x3(a)))))
 *   out = ReLU(a + b)
 * [N,H,W,in] -> [N,H/stride,W/stride,out]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';
import { Conv2d } from './layers.js';
import { BatchNorm, type BnMode } from './batchNorm.js';

export class ResidualBlock {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm;

  constructor(store: ParamStore, name: string, readonly inChannels: number, readonly outChannels: number, readonly stride = 1) {
    this.conv1 = new Conv2d(store, `${name}/conv1`, inChannels, outChannels, 3, stride, 1);
    this.bn1 = new BatchNorm(store, `${name}/bn1`, outChannels);
    this.conv2 = new Conv2d(store, `${name}/conv2`, outChannels, outChannels, 3, 1, 1);
    this.bn2 = new BatchNorm(store, `${name}/bn2`, outChannels);
    this.conv3 = new Conv2d(store, `${name}/conv3`, outChannels, outChannels, 3, 1, 1);
    this.bn3 = new BatchNorm(store, `${name}/bn3`, outChannels);
  }

  /**
   * In a tf.tidy: the intermediates are freed when the block ends instead of
   * when the whole pass ends. Safe under a gradient tape: the tensors the
   * backward pass needs are saved by the tape as kept clones (tidy does not
   * dispose kept tensors), and the tape refers to the others only by id.
   */
  apply(x: tf.Tensor4D, bn: BnMode): tf.Tensor4D {
    return tf.tidy(() => {
      const a = tf.relu(this.bn1.apply(this.conv1.apply(x), bn));
      const h = tf.relu(this.bn2.apply(this.conv2.apply(a), bn));
      const b = this.bn3.apply(this.conv3.apply(h), bn);
      return tf.relu(tf.add(a, b));
    });
  }
}
