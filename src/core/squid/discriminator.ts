/**
 * Discriminator on the full image: conv5x5 s2 p2 layers, LReLU 0.2, BN on
 * every layer but the first; flatten; Linear -> one logit.
 * zhanglab: 1@128 -> 16@64 -> 32@32 -> 64@16 -> 128@8 -> 128@4 -> 2048 -> 1
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import type { ModelConfig } from './presets.js';
import { Conv2d, Linear, leakyRelu, type MapLayer } from './layers.js';
import { BatchNorm } from './batchNorm.js';
import type { ForwardContext } from './context.js';

/** Side of the last discriminator map. */
export function discriminatorSide(config: ModelConfig): number {
  let side = config.imageSize;
  for (let i = 0; i < config.discriminatorChannels.length; i++) side = Math.floor((side - 1) / 2) + 1;
  return side;
}

export class Discriminator {
  readonly convs: MapLayer[] = [];
  private readonly bns: (BatchNorm | undefined)[] = [];
  private readonly head: Linear;

  constructor(store: ParamStore, name: string, config: ModelConfig) {
    let inC = 1;
    config.discriminatorChannels.forEach((c, i) => {
      this.convs.push(new Conv2d(store, `${name}/conv${i}`, inC, c, 5, 2, 2));
      this.bns.push(i === 0 ? undefined : new BatchNorm(store, `${name}/bn${i}`, c));
      inC = c;
    });
    const side = discriminatorSide(config);
    this.head = new Linear(store, `${name}/linear`, inC * side * side, 1);
  }

  /** Runs to the last conv's output (before its BN and LReLU). [N,S,S,1] -> [N,s,s,C] */
  lastConv(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    let h = x;
    const last = this.convs.length - 1;
    for (let i = 0; i < last; i++) h = this.post(i, this.convs[i]!.apply(h, ctx), ctx);
    return this.convs[last]!.apply(h, ctx);
  }

  private post(i: number, conv: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const norm = this.bns[i];
    return leakyRelu(norm ? norm.apply(conv, ctx) : conv);
  }

  /** From the last conv's output to the logits. [N,s,s,C] -> [N] */
  fromLastConv(a: tf.Tensor4D, ctx: ForwardContext): tf.Tensor1D {
    const h = this.post(this.convs.length - 1, a, ctx);
    return tf.reshape(this.head.apply(tf.reshape(h, [h.shape[0], -1])), [h.shape[0]]);
  }

  /** [N,S,S,1] -> logits [N] */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor1D {
    return this.fromLastConv(this.lastConv(x, ctx), ctx);
  }
}
