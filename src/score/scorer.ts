/**
 * Raw SQUID scores of a batch and their standardization.
 * Raw scores are "normality" values (higher = more normal):
 *   discriminator: D(student reconstruction), the logit (the reference);
 *   residual: -MSE(x, reconstruction) per image;
 *   input: D(x), the discriminator's logit of the input image itself (the
 *     critic that learned normal images against reconstructions of them,
 *     asked about the image);
 *   distillation: -(teacher-student gap): the image's distillation term,
 *     how far the memory-bound student strays from the memory-free teacher.
 * docs/detection.md has the measurements behind each preset's default.
 * The anomaly score is 1 - sigmoid((raw - mean) / std), with mean and std
 * over training images: higher = more anomalous, in (0, 1).
 * Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiscriminatorBnMode, SquidModel } from '../model/types.js';

import { SCORE_KINDS, type ScoreKind } from '../model/presets.js';

export { SCORE_KINDS, type ScoreKind };

export function parseScoreKind(v: string): ScoreKind {
  if ((SCORE_KINDS as readonly string[]).includes(v)) return v as ScoreKind;
  throw new Error(`score kind must be one of ${SCORE_KINDS.join(', ')}; got "${v}"`);
}

export type RawScores = Record<ScoreKind, Float32Array>;

export interface BatchScores {
  raw: RawScores;
  /** Student reconstructions in inference mode, [N,S,S,1] (caller disposes), when asked for. */
  reconstruction?: tf.Tensor4D;
}

/**
 * Scores one batch x [N,S,S,1]. The discriminator's batch norm uses each
 * image's own statistics by default, so scores never depend on the batch.
 */
export async function scoreBatch(
  model: SquidModel,
  x: tf.Tensor4D,
  opts: { keepReconstruction?: boolean; bn?: DiscriminatorBnMode } = {},
): Promise<BatchScores> {
  const { recon, gap } = model.reconstructWithGap(x);
  const bn = opts.bn ?? 'per-image';
  const values: Record<ScoreKind, tf.Tensor1D> = tf.tidy(() => ({
    discriminator: model.discriminatorLogits(recon, bn),
    residual: tf.neg(tf.mean(tf.squaredDifference(x, recon), [1, 2, 3])) as tf.Tensor1D,
    input: model.discriminatorLogits(x, bn),
    distillation: tf.neg(gap),
  }));
  gap.dispose();
  const raw = {} as RawScores;
  for (const k of SCORE_KINDS) raw[k] = (await values[k].data()) as Float32Array;
  tf.dispose(Object.values(values));
  if (opts.keepReconstruction) return { raw, reconstruction: recon };
  recon.dispose();
  return { raw };
}

/**
 * Scores n images held row-major in `pixels` (n * size * size) in chunks of
 * `batchSize`. `onReconstruction` receives each chunk's reconstructions
 * (it must not keep the tensor).
 */
export async function scoreImages(
  model: SquidModel,
  pixels: Float32Array,
  size: number,
  opts: {
    batchSize?: number;
    bn?: DiscriminatorBnMode;
    onReconstruction?: (start: number, recon: tf.Tensor4D) => Promise<void> | void;
  } = {},
): Promise<RawScores> {
  const per = size * size;
  const n = pixels.length / per;
  if (!Number.isInteger(n)) throw new RangeError(`scoreImages: ${pixels.length} values is not a whole number of ${size}x${size} images`);
  const bs = Math.max(1, opts.batchSize ?? 16);
  const out = Object.fromEntries(SCORE_KINDS.map((k) => [k, new Float32Array(n)])) as RawScores;
  for (let start = 0; start < n; start += bs) {
    const m = Math.min(bs, n - start);
    const x = tf.tensor4d(pixels.subarray(start * per, (start + m) * per), [m, size, size, 1]);
    const r = await scoreBatch(model, x, { keepReconstruction: Boolean(opts.onReconstruction), bn: opts.bn });
    x.dispose();
    for (const k of SCORE_KINDS) out[k].set(r.raw[k], start);
    if (r.reconstruction) {
      try {
        await opts.onReconstruction?.(start, r.reconstruction);
      } finally {
        r.reconstruction.dispose();
      }
    }
  }
  return out;
}

/** Anomaly score of raw normality values: 1 - sigmoid((raw - mean) / std). */
export function anomalyScores(raw: ArrayLike<number>, mean: number, std: number): Float64Array {
  const s = std > 0 && Number.isFinite(std) ? std : 1;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const z = ((raw[i] as number) - mean) / s;
    out[i] = 1 - 1 / (1 + Math.exp(-z));
  }
  return out;
}

/** Mean and (population) standard deviation. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, std: 1 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i] as number;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((xs[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(ss / n) };
}
