/**
 * Plain layers with PyTorch-default initialization: convolution (NHWC,
 * symmetric zero padding as PyTorch's `padding=`), linear, layer norm, and
 * the activations used by the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, type Init, type ParamStore } from './params.js';

export class Conv2d {
  readonly kernel: tf.Variable; // [k, k, in, out]
  readonly bias: tf.Variable | undefined; // [out]

  constructor(
    store: ParamStore,
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly size: number,
    readonly stride = 1,
    readonly pad = 0,
    withBias = true,
  ) {
    const fanIn = inChannels * size * size;
    this.kernel = store.variable(`${name}/kernel`, [size, size, inChannels, outChannels], kaimingUniform(fanIn));
    this.bias = withBias ? store.variable(`${name}/bias`, [outChannels], kaimingUniform(fanIn)) : undefined;
  }

  /**
   * [N,H,W,in] -> [N,H',W',out], H' = floor((H + 2 pad - k) / stride) + 1.
   * One FusedConv2D kernel with the bias (no separate Add pass; the same
   * math as conv2d + bias, gradients included).
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.fused.conv2d({ x, filter: this.kernel as tf.Tensor4D, strides: this.stride, pad: this.pad, bias: this.bias });
  }
}

export class Linear {
  readonly weight: tf.Variable; // [in, out]
  readonly bias: tf.Variable; // [out]

  /** init: PyTorch Linear default, or 'xavier' weights (nn.MultiheadAttention's in_proj); zeroBias: bias starts at 0 */
  constructor(
    store: ParamStore,
    name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { init?: 'kaiming' | 'xavier'; xavierFanOut?: number; zeroBias?: boolean } = {},
  ) {
    const weightInit: Init =
      opts.init === 'xavier' ? { kind: 'xavier', fanIn: inFeatures, fanOut: opts.xavierFanOut ?? outFeatures } : kaimingUniform(inFeatures);
    this.weight = store.variable(`${name}/weight`, [inFeatures, outFeatures], weightInit);
    this.bias = store.variable(`${name}/bias`, [outFeatures], opts.zeroBias === true ? { kind: 'zeros' } : kaimingUniform(inFeatures));
  }

  /** [..., in] -> [..., out] */
  apply<T extends tf.Tensor>(x: T): T {
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
    const y = tf.add(tf.matMul(flat, this.weight as tf.Tensor2D), this.bias);
    return tf.reshape(y, [...shape.slice(0, -1), this.outFeatures]) as T;
  }
}

/** LayerNorm over the last axis (eps 1e-5, affine ones/zeros). */
export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(store: ParamStore, name: string, readonly features: number) {
    this.gamma = store.variable(`${name}/gamma`, [features], { kind: 'ones' });
    this.beta = store.variable(`${name}/beta`, [features], { kind: 'zeros' });
  }

  /** [..., d] -> [..., d] */
  apply<T extends tf.Tensor>(x: T): T {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(normed, this.gamma), this.beta) as T;
  }
}

export function leakyRelu<T extends tf.Tensor>(x: T): T {
  return tf.leakyRelu(x, 0.2);
}
