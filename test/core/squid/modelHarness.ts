/** Shared helpers of the model tests: a micro preset that runs in milliseconds. */
import * as tf from '@tensorflow/tfjs-core';
import { getPreset, type Preset, type AblationSwitches } from '../../../src/core/squid/presets.js';
import { applyOverrides } from '../../../src/core/squid/presetSchema.js';

/** 16 px, 2x2 patches of 8 px, channels [2,4,4]: every component present, tiny tensors. */
export function microPreset(ablation: Partial<AblationSwitches> = {}): Preset {
  return applyOverrides(getPreset('tiny'), {
    name: 'micro',
    model: {
      imageSize: 16,
      patchesPerSide: 2,
      channels: [2, 4, 4],
      initialCombine: 1,
      inpaintChannels: 2,
      memorySlots: 6,
      decoderMemorySlots: 6,
      decoderMemoryWindows: 1,
      decoderMemoryLevels: 1,
      shrinkageTopK: 4,
      attentionHeads: 8,
      feedForwardDim: 4,
      discriminatorChannels: [2, 4],
      ablation,
    },
    train: { batchSize: 2 },
  });
}

/** Deterministic pseudo-random images [n,s,s,1] in [0,1]. */
export function images(n: number, s: number, seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, s, s, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}
