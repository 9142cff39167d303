/**
 * Plain layers with PyTorch-default initialization: convolution (NHWC,
 * symmetric zero padding as PyTorch's `padding=`), linear, layer norm, and
 * the activations used by the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, type Init, type ParamStore } from '../model/params.js';
import { FoldedConvBn } from '../tactics/foldedConvBn.js';
import { layerNorm } from '../ops/layerNorm/op.js';
import { dense } from '../ops/dense.js';
import type { ForwardContext } from './context.js';

export class Conv2d {
  readonly kernel: tf.Variable; // [k, k, in, out]
  readonly bias: tf.Variable | undefined; // [out]
  private readonly inference: FoldedConvBn;

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
    this.inference = new FoldedConvBn(store.inference, this, undefined);
  }

  /**
   * [N,H,W,in] -> [N,H',W',out], H' = floor((H + 2 pad - k) / stride) + 1.
   * One FusedConv2D kernel with the bias (no separate Add pass; the same
   * math as conv2d + bias, gradients included). In an inference forward
   * (ctx) of a model compiled for inference, with no gradient tape
   * recording, on a constant copy of the weights that the native backend
   * keeps in its own layout (src/core/tactics/foldedConvBn.ts).
   */
  apply(x: tf.Tensor4D, ctx?: ForwardContext): tf.Tensor4D {
    if (ctx && !ctx.training && this.inference.readyWithoutTape) return this.inference.apply(x, 'linear');
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
