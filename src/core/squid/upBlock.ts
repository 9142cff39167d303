/**
 * Decoder up block `up(in, out, concat)`: bilinear resize (half-pixel
 * centres, not align-corners) of x to the skip's spatial size; if concat,
 * [skip, upsampled] along channels; then block(in, out, 1).
 * x [N,h,w,Cx], skip [N,H,W,Cs] -> [N,H,W,out]; in = Cs + Cx (concat) or Cx.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { ResidualBlock, type Block } from './residualBlock.js';
import type { ForwardContext } from './context.js';
import type { Skip } from './encoder.js';
import { concatChannels } from '../ops/concatChannels.js';

/** What an up block is to its decoder (src/core/tactics/ may stand in for it). */
export interface Up {
  apply(x: tf.Tensor4D, skip: Skip, ctx: ForwardContext): tf.Tensor4D;
}

export class UpBlock implements Up {
  block: Block;

  constructor(store: ParamStore, name: string, readonly inChannels: number, readonly outChannels: number, readonly concat: boolean) {
    this.block = new ResidualBlock(store, `${name}/block`, inChannels, outChannels, 1);
  }

  /** skip: the map to concatenate (concat), else anything with the target shape */
  apply(x: tf.Tensor4D, skip: Skip, ctx: ForwardContext): tf.Tensor4D {
    const [, h, w] = skip.shape;
    const up = x.shape[1] === h && x.shape[2] === w ? x : tf.image.resizeBilinear(x, [h, w], false, true);
    if (!this.concat) return this.block.apply(up, ctx);
    if (!(skip instanceof tf.Tensor)) throw new Error(`UpBlock: a concatenating level needs the skip map, got only its shape ${JSON.stringify(skip.shape)}`);
    return this.block.apply(concatChannels(skip, up), ctx);
  }
}
