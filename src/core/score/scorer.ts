/**
 * Raw SQUID scores of a batch and their standardization.
 * Raw scores are "normality" values (higher = more normal):
 *   discriminator: D(student reconstruction), the logit (the reference);
 *   residual: -MSE(x, reconstruction) per image;
 *   input: D(x), the discriminator's logit of the input image itself (the
 *     critic that learned normal images against reconstructions of them,
 *     asked about the image);
 *   distillation: -(teacher-student gap): the image's distillation term,
 *     how far the memory-bound student strays from the memory-free teacher;
 *   memory, position: presets.ts (models that have them);
 *   combined kinds (input+position): the sum of their parts' standardized
 *     values; they need the parts' training statistics (combineRaw), so
 *     scoreBatch and scoreImages give the parts, and the Detector and the
 *     statistics add the combined values.
 * docs/detection.md has the measurements behind each preset's default.
 * The anomaly score is 1 - sigmoid((raw - mean) / std), with mean and std
 * over training images: higher = more anomalous, in (0, 1).
 * A score does not depend on the other images of its batch (per-image batch
 * norm), up to float rounding: the native backend's kernels sum in an order
 * that depends on the batch size, which moves a raw score by ~1e-6 (within
 * 1e-5 relative, tested in test/node/reliability.test.ts).
 * Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiscriminatorBnMode, SquidModel } from '../model/types.js';
import { SquidError } from '../util/errors.js';
import { withInference } from '../tactics/compile.js';

import { COMBINED_SCORE_PARTS, isCombinedKind, measuredKinds, SCORE_KINDS, type MeasuredScoreKind, type ScoreKind } from '../squid/presets.js';

export { SCORE_KINDS, type ScoreKind };

export function parseScoreKind(v: string): ScoreKind {
  if ((SCORE_KINDS as readonly string[]).includes(v)) return v as ScoreKind;
  throw new Error(`score kind must be one of ${SCORE_KINDS.join(', ')}; got "${v}"`);
}

/** Raw values per score kind: every kind unless a caller asked for fewer. */
export type RawScores = Partial<Record<ScoreKind, Float32Array>>;

/** The raw values of one kind (an error if they were not computed). */
export function rawOf(raw: RawScores, kind: ScoreKind): Float32Array {
  const v = raw[kind];
  if (!v) throw new Error(`score kind "${kind}" was not computed`);
  return v;
}

/** Options of scoreBatch / scoreImages. */
/**
 * A score came out NaN or infinite: the model (its weights) is damaged or
 * the image is; never a call of "normal" or "anomaly".
 */
export class NonFiniteScoreError extends SquidError {
  constructor(
    readonly kind: ScoreKind,
    /** The image's index in the scored set. */
    readonly index: number,
    readonly value: number,
  ) {
    super(`the ${kind} score of image ${index + 1} is ${value}: the model's weights are damaged (retrain or re-export); no score is given`);
    this.name = 'NonFiniteScoreError';
  }
}

export interface ScoreOptions {
  /** Discriminator batch norm (default per-image: a score never depends on the batch). */
  bn?: DiscriminatorBnMode;
  /** The kinds to compute (default all the model has; a combined kind gives its parts); the teacher decoder runs only for "distillation". */
  kinds?: readonly ScoreKind[];
}

export interface BatchScores {
  raw: RawScores;
  /** Student reconstructions in inference mode, [N,S,S,1] (caller disposes), when asked for. */
  reconstruction?: tf.Tensor4D;
}

/**
 * Scores one batch x [N,S,S,1], with the model compiled for inference
 * (src/core/tactics/compile.ts). The discriminator's batch norm uses each
 * image's own statistics by default, so scores never depend on the batch.
 */
export function scoreBatch(model: SquidModel, x: tf.Tensor4D, opts: ScoreOptions & { keepReconstruction?: boolean } = {}): Promise<BatchScores> {
  return withInference(model, () => scoreCompiled(model, x, opts));
}

async function scoreCompiled(model: SquidModel, x: tf.Tensor4D, opts: ScoreOptions & { keepReconstruction?: boolean }): Promise<BatchScores> {
  const kinds = measuredKinds(opts.kinds ?? model.scoreKinds);
  // the teacher decoder runs only for the kind that reads it (it adds a decoder pass)
  const { recon, gap } = kinds.includes('distillation') ? model.reconstructWithGap(x) : { recon: model.reconstruct(x), gap: undefined };
  const bn = opts.bn ?? 'per-image';
  const raw: RawScores = {};
  try {
    for (const k of kinds) {
      const v = tf.tidy(() => rawScoreTensor(model, k, { x, recon, gap }, bn));
      raw[k] = (await v.data()) as Float32Array;
      v.dispose();
      const bad = (raw[k] as Float32Array).findIndex((s) => !Number.isFinite(s));
      if (bad >= 0) throw new NonFiniteScoreError(k, bad, (raw[k] as Float32Array)[bad] as number);
    }
  } catch (err) {
    recon.dispose();
    throw err;
  } finally {
    gap?.dispose();
  }
  if (opts.keepReconstruction) return { raw, reconstruction: recon };
  recon.dispose();
  return { raw };
}

/** What the raw scores are computed from: a batch x [N,S,S,1], its reconstruction [N,S,S,1] and, for "distillation", the teacher-student gap [N]. */
export interface ScoreInputs {
  x: tf.Tensor4D;
  recon: tf.Tensor4D;
  gap?: tf.Tensor1D;
}

/** The raw score of one measured kind, [N] (normality: higher = more normal). The one definition of each kind (scoreBatch, the ONNX export). */
export function rawScoreTensor(model: SquidModel, kind: MeasuredScoreKind, { x, recon, gap }: ScoreInputs, bn: DiscriminatorBnMode): tf.Tensor1D {
  switch (kind) {
    case 'discriminator':
      return model.discriminatorLogits(recon, bn);
    case 'residual':
      return tf.neg(tf.mean(tf.squaredDifference(x, recon), [1, 2, 3])) as tf.Tensor1D;
    case 'input':
      return model.discriminatorLogits(x, bn);
    case 'distillation':
      if (!gap) throw new Error('the "distillation" score needs the teacher-student gap (reconstructWithGap)');
      return tf.neg(gap);
    case 'memory':
      return model.memoryScores(x);
    case 'position':
      return model.positionScores(x);
  }
}

/**
 * Scores n images held row-major in `pixels` (n * size * size) in chunks of
 * `batchSize`. `onReconstruction` receives each chunk's reconstructions
 * (it must not keep the tensor).
 */
export function scoreImages(model: SquidModel, pixels: Float32Array, size: number, opts: ImagesOptions = {}): Promise<RawScores> {
  return withInference(model, () => scoreAll(model, pixels, size, opts));
}

export type ImagesOptions = ScoreOptions & {
  batchSize?: number;
  /** Called with the number of images scored so far, after each batch. */
  onProgress?: (done: number) => void;
  onReconstruction?: (start: number, recon: tf.Tensor4D) => Promise<void> | void;
};

async function scoreAll(model: SquidModel, pixels: Float32Array, size: number, opts: ImagesOptions): Promise<RawScores> {
  const per = size * size;
  const n = pixels.length / per;
  if (!Number.isInteger(n)) throw new RangeError(`scoreImages: ${pixels.length} values is not a whole number of ${size}x${size} images`);
  const bs = Math.max(1, opts.batchSize ?? 16);
  const kinds = measuredKinds(opts.kinds ?? model.scoreKinds);
  const out: RawScores = Object.fromEntries(kinds.map((k) => [k, new Float32Array(n)]));
  for (let start = 0; start < n; start += bs) {
    const m = Math.min(bs, n - start);
    const x = tf.tensor4d(pixels.subarray(start * per, (start + m) * per), [m, size, size, 1]);
    let r: BatchScores;
    try {
      r = await scoreBatch(model, x, { keepReconstruction: Boolean(opts.onReconstruction), bn: opts.bn, kinds });
    } catch (err) {
      throw err instanceof NonFiniteScoreError ? new NonFiniteScoreError(err.kind, start + err.index, err.value) : err;
    } finally {
      x.dispose();
    }
    for (const k of kinds) rawOf(out, k).set(rawOf(r.raw, k), start);
    opts.onProgress?.(start + m);
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

/**
 * raw with the values of the combined kinds among `kinds` added: for each,
 * the sum over its parts of (raw - mean) / max(std, SCORE_STD_FLOOR), with
 * the parts' statistics over normal training images (higher = more normal).
 * A combined kind whose parts have no statistics, or no raw values, is
 * left out (the caller's statsOf or rawOf then says which kind is missing).
 */
export function combineRaw(raw: RawScores, kinds: readonly ScoreKind[], stats: Partial<Record<ScoreKind, { mean: number; std: number }>>): RawScores {
  const out: RawScores = { ...raw };
  for (const kind of kinds.filter(isCombinedKind)) {
    const parts = COMBINED_SCORE_PARTS[kind];
    if (parts.some((p) => !stats[p] || !raw[p])) continue;
    const n = rawOf(raw, parts[0] as ScoreKind).length;
    const sum = new Float32Array(n);
    for (const part of parts) {
      const s = stats[part] as { mean: number; std: number };
      const r = rawOf(raw, part);
      const std = Math.max(s.std, SCORE_STD_FLOOR);
      for (let i = 0; i < n; i++) sum[i] = (sum[i] as number) + ((r[i] as number) - s.mean) / std;
    }
    out[kind] = sum;
  }
  return out;
}

/**
 * The smallest standard deviation of a raw score that standardization uses
 * (in Node and the browser alike, and stored in scoring.json): raw scores
 * that barely vary over the training images (a std of 0) would otherwise
 * divide by zero. Raw scores are logits and mean squared errors, whose
 * spreads measured so far are 1e-3 and above.
 */
export const SCORE_STD_FLOOR = 1e-6;

/** Anomaly score of raw normality values: 1 - sigmoid((raw - mean) / max(std, SCORE_STD_FLOOR)). */
export function anomalyScores(raw: ArrayLike<number>, mean: number, std: number): Float64Array {
  if (!Number.isFinite(mean) || !Number.isFinite(std)) throw new SquidError(`score statistics are not finite (mean ${mean}, std ${std})`);
  const s = Math.max(std, SCORE_STD_FLOOR);
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const z = ((raw[i] as number) - mean) / s;
    out[i] = 1 - 1 / (1 + Math.exp(-z));
  }
  return out;
}

/**
 * combineRaw and anomalyScores in tensor form, for a graph that scores on
 * its own (the ONNX export): the raw value of `kind` [N] (a combined kind
 * from its parts' raw values) and its anomaly score [N], in float32.
 */
export function anomalyScoreTensor(
  raw: Partial<Record<MeasuredScoreKind, tf.Tensor1D>>,
  kind: ScoreKind,
  stats: Partial<Record<ScoreKind, { mean: number; std: number }>>,
): { raw: tf.Tensor1D; score: tf.Tensor1D } {
  const statsFor = (k: ScoreKind): { mean: number; std: number } => {
    const s = stats[k];
    if (!s || !Number.isFinite(s.mean) || !Number.isFinite(s.std)) throw new SquidError(`no finite statistics for the ${k} score`);
    return { mean: s.mean, std: Math.max(s.std, SCORE_STD_FLOOR) };
  };
  const z = (r: tf.Tensor1D, k: ScoreKind): tf.Tensor1D => {
    const { mean, std } = statsFor(k);
    return tf.div(tf.sub(r, mean), std);
  };
  const partRaw = (k: MeasuredScoreKind): tf.Tensor1D => {
    const r = raw[k];
    if (!r) throw new Error(`score kind "${k}" was not computed`);
    return r;
  };
  const kindRaw = isCombinedKind(kind) ? tf.addN(COMBINED_SCORE_PARTS[kind].map((p) => z(partRaw(p), p))) : partRaw(kind as MeasuredScoreKind);
  return { raw: kindRaw, score: tf.sigmoid(tf.neg(z(kindRaw, kind))) }; // 1 - sigmoid(z) = sigmoid(-z)
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
