/** Bootstrap confidence interval of ROC AUC. */
import { Rng } from '../../core/util/rng.js';
import { checkLabelsScores, rocAuc } from './roc.js';

export interface AucInterval {
  low: number;
  high: number;
  /** Coverage, e.g. 0.95. */
  level: number;
  /** Bootstrap resamples drawn. */
  resamples: number;
  /** 'stratified percentile': normals and abnormals resampled separately (counts kept), percentile interval. */
  method: 'stratified percentile';
  seed: number;
}

export interface BootstrapOptions {
  /** Resamples; default 1000. */
  n?: number;
  /** Default 0.95. */
  level?: number;
  /** Seed of the resampling Rng (default 0); ignored when rng is given. */
  seed?: number;
  rng?: Rng;
}

/** Linear-interpolation quantile (numpy's default) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Percentile bootstrap interval of the AUC: each resample draws the normal
 * and the abnormal scores with replacement, keeping both counts (so every
 * resample has both classes).
 */
export function bootstrapAucCi(labels: ArrayLike<number>, scores: ArrayLike<number>, opts: BootstrapOptions = {}): AucInterval {
  checkLabelsScores(labels, scores);
  const n = opts.n ?? 1000;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? 0;
  const rng = opts.rng ?? new Rng(seed);
  const posScores: number[] = [];
  const negScores: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? posScores : negScores).push(scores[i] as number);
  const m = posScores.length + negScores.length;
  const bl = new Uint8Array(m);
  bl.fill(1, 0, posScores.length);
  const bs = new Float64Array(m);
  const aucs: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < posScores.length; i++) bs[i] = posScores[rng.int(posScores.length)] as number;
    for (let i = 0; i < negScores.length; i++) bs[posScores.length + i] = negScores[rng.int(negScores.length)] as number;
    aucs.push(rocAuc(bl, bs));
  }
  aucs.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { low: quantileSorted(aucs, alpha), high: quantileSorted(aucs, 1 - alpha), level, resamples: n, method: 'stratified percentile', seed };
}
