/**
 * What a run stores for scoring: per score kind the mean and standard
 * deviation of the raw score over training images, and a threshold on the
 * anomaly score chosen by a policy:
 *   val-f1               the threshold with the best F1 on the validation set;
 *   normal-quantile:q    the q-quantile of the training images' anomaly scores
 *                        (about 1-q of normal images get flagged).
 * Also the validation AUC used for model selection. Browser-safe.
 */
import type { SquidModel } from '../../core/model/types.js';
import { rocAuc } from '../metrics/roc.js';
import { chooseThreshold } from '../metrics/threshold.js';
import { anomalyScores, combineRaw, meanStd, rawOf, scoreImages, SCORE_KINDS, SCORE_STD_FLOOR, type RawScores, type ScoreKind } from '../../core/score/scorer.js';
import { silentTasks, withTask, type TaskProgress } from '../taskProgress.js';
import { isCombinedKind, measuredKinds } from '../../core/squid/presets.js';
import type { ScoreStats, ScoringJson } from '../io/runDir.js';

/** Labelled images held in memory. */
export interface LabelledPixels {
  /** n * size * size, row-major per image. */
  x: Float32Array;
  size: number;
  /** 0 = normal, 1 = anomalous, one per image. */
  labels: number[];
  /** Anomaly type per image ("normal" for normals), when known. */
  types?: string[];
  /** A name per image (file path or generated id). */
  names?: string[];
}

export const DEFAULT_QUANTILE = 0.95;

/** ROC AUC per score kind of raw normality scores (anomaly direction = -raw). */
export function aucOfRaw(raw: RawScores, labels: readonly number[]): Partial<Record<ScoreKind, number>> {
  const out: Partial<Record<ScoreKind, number>> = {};
  for (const k of SCORE_KINDS.filter((kind) => raw[kind])) out[k] = rocAuc(labels, Array.from(rawOf(raw, k), (v) => -v));
  return out;
}

/** Mean and standard deviation of a raw score over the normal and the abnormal validation images. */
export interface ClassSpread {
  normal: { mean: number; std: number };
  abnormal: { mean: number; std: number };
}

export interface ValidationResult {
  /** Per kind the model computes (model.scoreKinds). */
  auc: Partial<Record<ScoreKind, number>>;
  /** How each raw score spreads per class (e.g. the discriminator's logits over training). */
  spread: Partial<Record<ScoreKind, ClassSpread>>;
}

/**
 * Validation AUC and class spread of every kind the model computes. A
 * combined kind needs its parts' statistics over normal training images:
 * `reference` (training images, n*S*S) gives them; without it combined
 * kinds are left out.
 */
export async function validate(model: SquidModel, val: LabelledPixels, reference?: Float32Array, tasks: TaskProgress = silentTasks): Promise<ValidationResult> {
  const n = val.labels.length;
  let raw = await withTask(tasks, `validating on ${n} images`, n, (onProgress) => scoreImages(model, val.x, val.size, { onProgress }));
  const combined = model.scoreKinds.filter(isCombinedKind);
  if (reference && combined.length > 0) {
    const r = reference.length / (val.size * val.size);
    const kinds = measuredKinds(combined);
    const ref = await withTask(tasks, `scoring ${r} training images (the combined score's statistics)`, r, (onProgress) =>
      scoreImages(model, reference, val.size, { kinds, onProgress }),
    );
    const stats = Object.fromEntries(measuredKinds(combined).map((k) => [k, meanStd(rawOf(ref, k))]));
    raw = combineRaw(raw, combined, stats);
  }
  const spread: Partial<Record<ScoreKind, ClassSpread>> = {};
  const round = (v: number) => Number(v.toPrecision(5));
  for (const k of model.scoreKinds.filter((kind) => raw[kind])) {
    const of = (label: number) => {
      const s = meanStd(rawOf(raw, k).filter((_, i) => val.labels[i] === label));
      return { mean: round(s.mean), std: round(s.std) };
    };
    spread[k] = { normal: of(0), abnormal: of(1) };
  }
  return { auc: aucOfRaw(raw, val.labels), spread };
}

/** One kind's statistics: mean and std over training images, and the threshold (val-f1 on val, else normal-quantile on training). */
function kindStats(train: Float32Array, val: { labels: number[]; raw: Float32Array } | null): ScoreStats {
  const { mean, std } = meanStd(train);
  const safeStd = Math.max(std, SCORE_STD_FLOOR);
  const chosen = val
    ? chooseThreshold(
        { kind: 'val-f1' },
        { evaluated: { labels: [], scores: [] }, validation: { labels: val.labels, scores: anomalyScores(val.raw, mean, safeStd) } },
      )
    : chooseThreshold(
        { kind: 'normal-quantile', q: DEFAULT_QUANTILE },
        { evaluated: { labels: [], scores: [] }, normalReference: anomalyScores(train, mean, safeStd) },
      );
  return { mean, std: safeStd, threshold: chosen.value, policy: chosen.policy, trainRaw: Array.from(train) };
}

/**
 * Score statistics of a trained model: training images (n*S*S) give mean and
 * std per kind; the threshold comes from the validation set (val-f1) when
 * given, else from the training images (normal-quantile:0.95). The measured
 * kinds first, then the combined kinds from their parts' statistics.
 */
export async function computeScoring(
  model: SquidModel,
  trainPixels: Float32Array,
  size: number,
  val: LabelledPixels | null,
  tasks: TaskProgress = silentTasks,
): Promise<ScoringJson> {
  const n = trainPixels.length / (size * size);
  let trainRaw = await withTask(tasks, `score statistics on ${n} training images`, n, (onProgress) => scoreImages(model, trainPixels, size, { onProgress }));
  let valRaw = val
    ? await withTask(tasks, `thresholds on ${val.labels.length} validation images`, val.labels.length, (onProgress) => scoreImages(model, val.x, val.size, { onProgress }))
    : null;
  const stats: Partial<Record<ScoreKind, ScoreStats>> = {};
  const add = (kinds: readonly ScoreKind[]): void => {
    for (const k of kinds) stats[k] = kindStats(rawOf(trainRaw, k), val && valRaw ? { labels: val.labels, raw: rawOf(valRaw, k) } : null);
  };
  add(measuredKinds(model.scoreKinds));
  const combined = model.scoreKinds.filter(isCombinedKind);
  trainRaw = combineRaw(trainRaw, combined, stats);
  valRaw = valRaw ? combineRaw(valRaw, combined, stats) : null;
  add(combined);
  return { ...(stats as Record<ScoreKind, ScoreStats>), trainImages: n, stdFloor: SCORE_STD_FLOOR, date: new Date().toISOString() };
}
