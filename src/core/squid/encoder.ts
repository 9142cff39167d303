/**
 * Encoder: the image is cut into P x P patches (a batch of B*P*P), then
 * block(1, c0) and one stride-2 block per level:
 *   zhanglab: 1@64 -> 32@64 -> 64@32 -> 128@16 -> 256@8 -> 512@4 (per patch)
 * Skips are each level's input; the first `initialCombine` of them are
 * re-assembled into full-image maps (32@128, 64@64 for zhanglab). The decoder
 * never concatenates a full-image skip (its levels there are `up(.., concat:
 * false)`): it reads only the map's size, so those skips are returned as
 * their shape and never assembled (zhanglab, batch 16: 50 MB and two
 * transposes fewer per pass; the same values and gradients).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import type { ModelConfig } from './presets.js';
import { ResidualBlock, type Block } from './residualBlock.js';
import { splitPatches } from './patches.js';
import type { ForwardContext } from './context.js';

/** The shape of a full-image skip, which the decoder needs only for its size. */
export interface SkipShape {
  readonly shape: [number, number, number, number];
}

/** A per-patch skip map (concatenated by the decoder) or a full-image skip's shape. */
export type Skip = tf.Tensor4D | SkipShape;

export interface EncoderOutput {
  /** [B*P*P, s, s, C_L] per patch */
  bottleneck: tf.Tensor4D;
  /** skips[i]: input of down level i; full image ([B, s*P, s*P, C_i], shape only) for i < initialCombine, else per patch */
  skips: Skip[];
}

/** The shape assemblePatches would give a per-patch map. */
function assembledShape(h: tf.Tensor4D, P: number): SkipShape {
  const [n, s, t, c] = h.shape;
  return { shape: [n / (P * P), s * P, t * P, c] };
}

export class Encoder {
  inBlock: Block;
  readonly downs: Block[] = [];

  constructor(store: ParamStore, name: string, private readonly config: ModelConfig) {
    const ch = config.channels;
    this.inBlock = new ResidualBlock(store, `${name}/in`, 1, ch[0] as number, 1);
    for (let i = 0; i + 1 < ch.length; i++) {
      this.downs.push(new ResidualBlock(store, `${name}/down${i}`, ch[i] as number, ch[i + 1] as number, 2));
    }
  }

  /** x [B,S,S,1] */
  apply(x: tf.Tensor4D, ctx: ForwardContext): EncoderOutput {
    const P = this.config.patchesPerSide;
    let h = this.inBlock.apply(splitPatches(x, P), ctx);
    const skips: Skip[] = [];
    this.downs.forEach((down, i) => {
      skips.push(i < this.config.initialCombine ? assembledShape(h, P) : h);
      h = down.apply(h, ctx);
    });
    return { bottleneck: h, skips };
  }
}
