/**
 * Encoder: the image is cut into P x P patches (a batch of B*P*P), then
 * block(1, c0) and one stride-2 block per level:
 *   zhanglab: 1@64 -> 32@64 -> 64@32 -> 128@16 -> 256@8 -> 512@4 (per patch)
 * Skips are each level's input; the first `initialCombine` of them are
 * re-assembled into full-image maps (32@128, 64@64 for zhanglab).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';
import type { ModelConfig } from './presets.js';
import { ResidualBlock } from './residualBlock.js';
import { splitPatches, assemblePatches } from './patches.js';
import type { BnMode } from './batchNorm.js';

export interface EncoderOutput {
  /** [B*P*P, s, s, C_L] per patch */
  bottleneck: tf.Tensor4D;
  /** skips[i]: input of down level i; full image for i < initialCombine, else per patch */
  skips: tf.Tensor4D[];
}

export class Encoder {
  private readonly inBlock: ResidualBlock;
  private readonly downs: ResidualBlock[] = [];

  constructor(store: ParamStore, name: string, private readonly config: ModelConfig) {
    const ch = config.channels;
    this.inBlock = new ResidualBlock(store, `${name}/in`, 1, ch[0] as number, 1);
    for (let i = 0; i + 1 < ch.length; i++) {
      this.downs.push(new ResidualBlock(store, `${name}/down${i}`, ch[i] as number, ch[i + 1] as number, 2));
    }
  }

  /** x [B,S,S,1] */
  apply(x: tf.Tensor4D, bn: BnMode): EncoderOutput {
    const P = this.config.patchesPerSide;
    let h = this.inBlock.apply(splitPatches(x, P), bn);
    const skips: tf.Tensor4D[] = [];
    this.downs.forEach((down, i) => {
      skips.push(i < this.config.initialCombine ? assemblePatches(h, P) : h);
      h = down.apply(h, bn);
    });
    return { bottleneck: h, skips };
  }
}
