/**
 * The residual conv block of the encoder and decoder, `block(in, out, stride)`:
 *   a = ReLU(BN(conv3x3(in->out, stride)))
 *   b = BN(conv3x3(ReLU(BN(conv3x3(a)))))
 *   out = ReLU(a + b)
 * [N,H,W,in] -> [N,H/stride,W/stride,out]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { Conv2d } from './layers.js';
import { BatchNorm } from './batchNorm.js';
import type { ForwardContext } from './context.js';
import { reluGradFromOutput } from '../ops/reluGrad/op.js';

/**
 * relu(a + b) for same-shaped a, b, as one differentiable op that saves only
 * its output (d/da = d/db = dy where out > 0). tfjs's Add would keep a and b
 * alive until the backward pass just to read their shapes; PyTorch keeps
 * neither. Same values and gradients as tf.relu(tf.add(a, b)).
 */
export function addRelu(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (!tf.util.arraysEqual(a.shape, b.shape)) return tf.relu(tf.add(a, b));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor4D, tf.Tensor4D];
    const save = args[2] as tf.GradSaveFunc;
    const out = tf.relu(tf.add(x, y));
    save([out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = reluGradFromOutput(dy, saved[0] as tf.Tensor);
        return [g, tf.clone(g)];
      },
    };
  });
  return f(a, b) as tf.Tensor4D;
}

/** What a residual block is to its container: x -> block(x) (src/core/tactics/ may stand in for it). */
export interface Block {
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
}

export class ResidualBlock implements Block {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm;

  constructor(store: ParamStore, name: string, readonly inChannels: number, readonly outChannels: number, readonly stride = 1) {
    this.conv1 = new Conv2d(store, `${name}/conv1`, inChannels, outChannels, 3, stride, 1);
    this.bn1 = new BatchNorm(store, `${name}/bn1`, outChannels);
    this.conv2 = new Conv2d(store, `${name}/conv2`, outChannels, outChannels, 3, 1, 1);
    this.bn2 = new BatchNorm(store, `${name}/bn2`, outChannels);
    this.conv3 = new Conv2d(store, `${name}/conv3`, outChannels, outChannels, 3, 1, 1);
    this.bn3 = new BatchNorm(store, `${name}/bn3`, outChannels);
  }

  /** [N,H,W,in] -> [N,H/stride,W/stride,out] */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const a = tf.relu(this.bn1.apply(this.conv1.apply(x), ctx));
    const h = tf.relu(this.bn2.apply(this.conv2.apply(a), ctx));
    const b = this.bn3.apply(this.conv3.apply(h), ctx);
    return addRelu(a, b);
  }
}
