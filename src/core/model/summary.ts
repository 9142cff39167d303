/**
 * Parameter counts and feature shapes of a preset, without running (or
 * even allocating) the model: the modules are built in a counting store.
 */
import type { Preset } from '../squid/presets.js';
import { validatePreset, encoderSides } from '../squid/presetSchema.js';
import { ParamStore } from './params.js';
import { buildSquidModules, GENERATOR_PREFIX, TEACHER_PREFIX, DISCRIMINATOR_PREFIX } from '../squid/squid.js';
import { discriminatorSide } from '../squid/discriminator.js';
import { positionBits } from '../squid/positionCode.js';

export interface ParameterCounts {
  /** Trainable generator scalars, teacher included. */
  generator: number;
  /** The teacher decoder alone. */
  teacher: number;
  discriminator: number;
  /** Non-trainable state scalars (batch-norm running statistics, memory queues). */
  state: number;
}

export function countParameters(preset: Preset): ParameterCounts {
  validatePreset(preset);
  const store = new ParamStore(0, 'count');
  try {
    buildSquidModules(store, preset.model);
    const state = store.specs.filter((s) => !s.trainable).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    return {
      generator: store.countTrainable([GENERATOR_PREFIX]),
      teacher: store.countTrainable([TEACHER_PREFIX]),
      discriminator: store.countTrainable([DISCRIMINATOR_PREFIX]),
      state,
    };
  } finally {
    store.dispose();
  }
}

export interface FeatureShape {
  /** e.g. "encoder level 1" */
  stage: string;
  /** [batch-relative count, H, W, C]: count = images x patches ("per patch") or images ("full image") */
  shape: [number, number, number];
  layout: 'per patch' | 'full image' | 'vector';
}

/** The feature shapes (H, W, C) of every stage for one image. */
export function featureShapes(preset: Preset): FeatureShape[] {
  const m = preset.model;
  const ch = m.channels;
  const L = ch.length - 1;
  const sides = encoderSides(m);
  const P = m.patchesPerSide;
  const out: FeatureShape[] = [];
  const full = (i: number): boolean => i < m.initialCombine;
  out.push({ stage: 'input', shape: [m.imageSize, m.imageSize, 1], layout: 'full image' });
  for (let i = 0; i <= L; i++) {
    const s = sides[i] as number;
    const isFull = i < L && full(i);
    out.push({
      stage: i === 0 ? 'encoder in-block (skip 0)' : i === L ? `encoder level ${i} (bottleneck)` : `encoder level ${i} (skip ${i})`,
      shape: isFull ? [s * P, s * P, ch[i] as number] : [s, s, ch[i] as number],
      layout: isFull ? 'full image' : 'per patch',
    });
  }
  if (m.ablation.inpainting) {
    const s = sides[L] as number;
    out.push({ stage: 'in-painting query', shape: [1, 1, m.inpaintChannels * s * s], layout: 'vector' });
    out.push({ stage: 'in-painting + position code', shape: [s, s, m.inpaintChannels + positionBits(P * P)], layout: 'per patch' });
  }
  for (let i = 0; i < L; i++) {
    const skipIdx = L - 1 - i;
    const s = sides[skipIdx] as number;
    const isFull = full(skipIdx);
    const mem = m.ablation.decoderMemory && i < m.decoderMemoryLevels ? ' + decoder memory' : '';
    out.push({
      stage: `decoder level ${i}${mem}`,
      shape: isFull ? [s * P, s * P, ch[skipIdx] as number] : [s, s, ch[skipIdx] as number],
      layout: isFull ? 'full image' : 'per patch',
    });
  }
  out.push({ stage: 'reconstruction', shape: [m.imageSize, m.imageSize, 1], layout: 'full image' });
  const dc = m.discriminatorChannels;
  const ds = discriminatorSide(m);
  out.push({ stage: 'discriminator last conv', shape: [ds, ds, dc[dc.length - 1] as number], layout: 'full image' });
  return out;
}
