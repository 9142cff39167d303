/**
 * Resolves --data / --val arguments into training batches and validation
 * sets (Node only): a folder of images, or "digitanatomy" for freshly
 * generated DigitAnatomy images at the preset's size.
 */
import type { Preset } from '../../core/squid/presets.js';
import { Rng } from '../../core/util/rng.js';
import { SquidError } from '../../core/util/errors.js';
import { readNormalFolder } from '../data/folders.js';
import { loadBatch } from '../data/batches.js';
import { createDigitAnatomy } from '../digitanatomy/create.js';
import { ANOMALY_TYPES } from '../digitanatomy/generator.js';
import { ArraySource, DigitAnatomySource, mixSeed, type BatchSource } from './sources.js';
import { loadLabelledSet } from '../score/labelledSet.js';
import type { LabelledPixels } from '../score/statistics.js';

export const GENERATED = 'digitanatomy';

function checkDigitSize(preset: Preset): void {
  if (preset.model.imageSize % 3 !== 0) {
    throw new SquidError(`--data digitanatomy needs an image size that is a multiple of 3; preset "${preset.name}" has ${preset.model.imageSize}`);
  }
}

export async function trainingSource(data: string, preset: Preset, seed: number): Promise<BatchSource> {
  const size = preset.model.imageSize;
  if (data === GENERATED) {
    checkDigitSize(preset);
    const gen = await createDigitAnatomy({ size, split: 'train' });
    const n = preset.train.imagesPerEpoch > 0 ? preset.train.imagesPerEpoch : 1600;
    return new DigitAnatomySource(gen, n, seed);
  }
  const paths = await readNormalFolder(data);
  const batch = await loadBatch(paths, { size });
  return new ArraySource(batch.x, size, seed, `${paths.length} images in ${data}`);
}

/** Generated validation images: `normals` normal and as many anomalies (the four types in turn). */
export async function generatedValSet(preset: Preset, seed: number, normals = 100): Promise<LabelledPixels> {
  checkDigitSize(preset);
  const size = preset.model.imageSize;
  // digits training never draws (the 'val' split): a memory of training patches is not flattered by near-copies
  const gen = await createDigitAnatomy({ size, split: 'val' });
  const rng = new Rng(mixSeed(seed, 0x7a1));
  const px = size * size;
  const x = new Float32Array(2 * normals * px);
  const labels: number[] = [];
  const types: string[] = [];
  for (let i = 0; i < normals; i++) {
    x.set(gen.normal(rng), i * px);
    labels.push(0);
    types.push('normal');
  }
  for (let i = 0; i < normals; i++) {
    const type = ANOMALY_TYPES[i % ANOMALY_TYPES.length] as (typeof ANOMALY_TYPES)[number];
    x.set(gen.abnormal(type, rng).image, (normals + i) * px);
    labels.push(1);
    types.push(type);
  }
  return { x, size, labels, types, names: types.map((t, i) => `${t}_${i}`) };
}

export async function validationSet(val: string, preset: Preset, seed: number): Promise<LabelledPixels> {
  if (val === GENERATED) return generatedValSet(preset, seed);
  return loadLabelledSet(val, preset.model.imageSize);
}
