/**
 * ROC curve and AUC. Score convention throughout squid-ts: higher score =
 * more anomalous; label 1 = abnormal (positive), 0 = normal; an image is
 * predicted abnormal when score >= threshold.
 */
import { SquidError } from '../../core/util/errors.js';

export interface RocCurve {
  /** False positive rates, from 0 to 1 (non-decreasing). */
  fpr: number[];
  /** True positive rates, from 0 to 1 (non-decreasing). */
  tpr: number[];
  /**
   * thresholds[k]: predicting abnormal for score >= thresholds[k] gives
   * (fpr[k], tpr[k]). Decreasing; thresholds[0] = +Infinity (nothing abnormal).
   */
  thresholds: number[];
}

/** Counts of the two classes; throws when either is absent or a value is not 0/1 or a score not finite. */
export function checkLabelsScores(labels: ArrayLike<number>, scores: ArrayLike<number>): { pos: number; neg: number } {
  if (labels.length !== scores.length) throw new SquidError(`${labels.length} labels but ${scores.length} scores`);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 1) pos++;
    else if (l === 0) neg++;
    else throw new SquidError(`label ${String(l)} at row ${i}: labels must be 0 (normal) or 1 (abnormal)`);
    if (!Number.isFinite(scores[i] as number)) throw new SquidError(`score ${String(scores[i])} at row ${i} is not a finite number`);
  }
  if (pos === 0 || neg === 0) {
    throw new SquidError(`ROC AUC needs normal and abnormal samples; got ${neg} normal and ${pos} abnormal`);
  }
  return { pos, neg };
}

/**
 * ROC curve with one point per distinct score (ties form one step, as
 * scikit-learn's roc_curve with drop_intermediate=false), starting at (0, 0).
 */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const { pos, neg } = checkLabelsScores(labels, scores);
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (labels[i] === 1) tp++;
    else fp++;
    const s = scores[i] as number;
    const nextIdx = order[k + 1];
    if (nextIdx === undefined || (scores[nextIdx] as number) !== s) {
      fpr.push(fp / neg);
      tpr.push(tp / pos);
      thresholds.push(s);
    }
  }
  return { fpr, tpr, thresholds };
}

/**
 * Area under the ROC curve, exact with ties: the Mann-Whitney U statistic
 * divided by n_pos * n_neg, i.e. P(score_abnormal > score_normal) +
 * 0.5 * P(equal). Computed from mid-ranks in O(n log n).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { pos, neg } = checkLabelsScores(labels, scores);
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPos = 0;
  let k = 0;
  while (k < n) {
    let j = k;
    const s = scores[order[k] as number] as number;
    while (j + 1 < n && (scores[order[j + 1] as number] as number) === s) j++;
    const midRank = (k + j) / 2 + 1; // ranks are 1-based
    for (let m = k; m <= j; m++) if (labels[order[m] as number] === 1) rankSumPos += midRank;
    k = j + 1;
  }
  const u = rankSumPos - (pos * (pos + 1)) / 2;
  return u / (pos * neg);
}

/** Trapezoidal area under a curve given by points (x non-decreasing). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number)) / 2;
  return a;
}
