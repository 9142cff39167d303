/**
 * Student and teacher decoders. Level i (0 = deepest) up-samples to the
 * size of skip L-1-i (concatenating it while skips are per patch); the
 * patches are re-assembled before level L - initialCombine. The student has
 * decoder memories on its first `decoderMemoryLevels` levels; the teacher
 * has the same layers with its own weights and no memories. Each ends in
 * conv1x1(c0 -> 1) + sigmoid.
 * zhanglab student: 512@4 -> 256@8 (+mem A) -> 128@16 (+mem B) -> [assemble
 * 128@32 full] -> 64@64 -> 32@128 -> 1@128.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import type { ModelConfig } from './presets.js';
import { Conv2d, type MapLayer } from './layers.js';
import { UpBlock, type Up } from './upBlock.js';
import { DecoderMemory } from './decoderMemory.js';
import { assemblePatches } from './patches.js';
import { encoderSides } from './presetSchema.js';
import type { ForwardContext } from './context.js';
import type { Skip } from './encoder.js';

export class Decoder {
  readonly ups: Up[] = [];
  readonly memories: (DecoderMemory | undefined)[] = [];
  /** conv1x1(c0 -> 1) */
  out: MapLayer;
  readonly levels: number;

  constructor(store: ParamStore, name: string, private readonly config: ModelConfig, withMemory: boolean) {
    const ch = config.channels;
    const L = ch.length - 1;
    this.levels = L;
    const sides = encoderSides(config);
    for (let i = 0; i < L; i++) {
      const concat = i < L - config.initialCombine;
      const xIn = ch[L - i] as number;
      const skipC = ch[L - 1 - i] as number;
      const outC = skipC;
      this.ups.push(new UpBlock(store, `${name}/up${i}`, concat ? xIn + skipC : xIn, outC, concat));
      const mem = withMemory && config.ablation.decoderMemory && i < config.decoderMemoryLevels;
      this.memories.push(mem ? new DecoderMemory(store, `${name}/memory${i}`, config, outC, sides[L - 1 - i] as number) : undefined);
    }
    this.out = new Conv2d(store, `${name}/out`, ch[0] as number, 1, 1, 1, 0, true);
  }

  /** Re-assembles the patches before this level? */
  assemblesAt(i: number): boolean {
    return i === this.levels - this.config.initialCombine;
  }

  /** One level: x (per patch or full image) -> level output. */
  level(i: number, x: tf.Tensor4D, skip: Skip, ctx: ForwardContext): tf.Tensor4D {
    const h = this.assemblesAt(i) ? assemblePatches(x, this.config.patchesPerSide) : x;
    const y = (this.ups[i] as Up).apply(h, skip, ctx);
    const mem = this.memories[i];
    return mem ? mem.apply(y, ctx) : y;
  }

  /** [B,S,S,c0] -> [B,S,S,1] in (0,1) */
  output(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.sigmoid(this.out.apply(x, ctx));
  }
}
