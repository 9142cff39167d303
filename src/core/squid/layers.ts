/**
 * Plain layers with PyTorch-default initialization: convolution (NHWC,
 * symmetric zero padding as PyTorch's `padding=`), linear, layer norm, and
 * the activations used by the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, type Init, type ParamStore } from '../model/params.js';
import { layerNorm } from '../ops/layerNorm/op.js';
import { dense } from '../ops/dense.js';
import type { ForwardContext } from './context.js';
import { BatchNorm } from './batchNorm.js';

/** A layer over 4-D maps, as its container calls it (src/core/tactics/ may stand in for it). */
export interface MapLayer {
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
}

export class Conv2d implements MapLayer {
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

/** ReLU(BN(conv(x))) (the in-painting block's bottlenecks). [N,H,W,in] -> [N,H',W',out] */
export class ConvBnRelu implements MapLayer {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(store: ParamStore, name: string, inChannels: number, outChannels: number, size: number, withBias: boolean) {
    this.conv = new Conv2d(store, `${name}/conv`, inChannels, outChannels, size, 1, (size - 1) / 2, withBias);
    this.bn = new BatchNorm(store, `${name}/bn`, outChannels);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.relu(this.bn.apply(this.conv.apply(x), ctx));
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

  /** [..., in] -> [..., out]; activation 'relu': ReLU(x W + b) */
  apply<T extends tf.Tensor>(x: T, activation: 'linear' | 'relu' = 'linear'): T {
    const shape = x.shape;
    const y = dense(tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D, this.weight as tf.Tensor2D, this.bias as tf.Tensor1D, activation);
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
    return layerNorm(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, 1e-5);
  }
}

export function leakyRelu<T extends tf.Tensor>(x: T): T {
  return tf.leakyRelu(x, 0.2);
}
