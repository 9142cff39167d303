/**
 * Decoder memory ("memory matrix block"): each patch's feature map is read
 * through learned memories, then the masked shortcut (training only).
 *  - windows > 1 (zhanglab): each map is cut into windows x windows windows;
 *    one memory per window position, shared by all patches
 *    (256@8x8 -> 4 windows of 4x4 = 4096-d).
 *  - windows = 1 (digitanatomy): the whole map is one vector; one memory per
 *    patch position (128@8x8 -> 8192-d, P*P memories).
 *  - space-aware memory off: a single memory shared by every window/position.
 * x [B*P*P, h, w, C] -> same shape
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import type { ModelConfig } from './presets.js';
import { MemoryMatrix } from './memoryMatrix.js';
import { maskedShortcut } from './maskedShortcut.js';
import { trainingRng, type ForwardContext } from './context.js';

export class DecoderMemory {
  readonly matrix: MemoryMatrix;
  private readonly windows: number;
  private readonly positions: number;

  constructor(store: ParamStore, name: string, private readonly config: ModelConfig, channels: number, side: number) {
    this.windows = config.decoderMemoryWindows;
    this.positions = config.patchesPerSide ** 2;
    const ws = side / this.windows;
    const dim = channels * ws * ws;
    const count = config.ablation.spaceAwareMemory ? (this.windows > 1 ? this.windows ** 2 : this.positions) : 1;
    this.matrix = new MemoryMatrix(store, `${name}`, count, config.decoderMemorySlots, dim);
  }

  /** [B*N,h,w,C] -> [M, rows, d] */
  private toVectors(x: tf.Tensor4D): tf.Tensor3D {
    const [bn, h, w, c] = x.shape;
    const W = this.windows;
    let v: tf.Tensor3D;
    if (W > 1) {
      const t = tf.reshape(x, [bn, W, h / W, W, w / W, c]);
      v = tf.reshape(tf.transpose(t, [1, 3, 0, 2, 4, 5]), [W * W, bn, (h / W) * (w / W) * c]);
    } else {
      const N = this.positions;
      v = tf.transpose(tf.reshape(x, [bn / N, N, h * w * c]), [1, 0, 2]);
    }
    return this.matrix.numMemories === 1 ? tf.reshape(v, [1, -1, v.shape[2]]) : v;
  }

  /** inverse of toVectors */
  private fromVectors(v: tf.Tensor3D, shape: [number, number, number, number]): tf.Tensor4D {
    const [bn, h, w, c] = shape;
    const W = this.windows;
    if (W > 1) {
      const t = tf.reshape(v, [W, W, bn, h / W, w / W, c]);
      return tf.reshape(tf.transpose(t, [2, 0, 3, 1, 4, 5]), shape);
    }
    const N = this.positions;
    const t = tf.reshape(v, [N, bn / N, h * w * c]);
    return tf.reshape(tf.transpose(t, [1, 0, 2]), shape);
  }

  /** [B', h, w, c] -> the same shape; training: the masked shortcut's masks from ctx.rng */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const m = this.config;
    const mode = ctx.training ? 'train' : 'inference';
    const out = this.fromVectors(this.matrix.read(this.toVectors(x), m.shrinkageTopK, m.ablation.gumbelShrinkage, mode), x.shape);
    if (ctx.training && m.ablation.maskedShortcut) return maskedShortcut(out, x, trainingRng(ctx, 'a decoder memory'), m.maskKeepProb);
    return out;
  }
}
