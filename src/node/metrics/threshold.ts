/**
 * Threshold policies (score >= threshold = predicted abnormal):
 * - `val-f1`: the threshold maximizing F1 on a validation set (anomalib's
 *   default); candidates are the validation scores; ties go to the lowest.
 * - `normal-quantile:Q`: label-free, the Q-quantile (linear interpolation)
 *   of scores of normal images: a normal reference set when given, else the
 *   validation normals, else the evaluated normals (source says which).
 * - `fixed:X`: X.
 * - `oracle`: the threshold of best accuracy on the evaluated labels
 *   themselves (as the paper's code did); ties go to the lowest. Its result
 *   carries oracle: true and must be labelled "oracle" wherever shown.
 */
import { SquidError } from '../../core/util/errors.js';
import { quantileSorted } from './bootstrap.js';
import { metricsFromConfusion, type ConfusionMatrix } from './confusion.js';

export type ThresholdPolicy =
  | { kind: 'val-f1' }
  | { kind: 'normal-quantile'; q: number }
  | { kind: 'fixed'; value: number }
  | { kind: 'oracle' };

/** Parse `val-f1`, `normal-quantile:Q` (0 <= Q <= 1), `fixed:X` or `oracle`. Throws SquidError otherwise. */
export function parseThresholdPolicy(s: string): ThresholdPolicy {
  const t = s.trim();
  if (t === 'val-f1') return { kind: 'val-f1' };
  if (t === 'oracle') return { kind: 'oracle' };
  const m = /^(normal-quantile|fixed):(.+)$/.exec(t);
  if (m) {
    const v = Number(m[2]);
    if (m[2]?.trim() !== '' && Number.isFinite(v)) {
      if (m[1] === 'fixed') return { kind: 'fixed', value: v };
      if (v >= 0 && v <= 1) return { kind: 'normal-quantile', q: v };
      throw new SquidError(`threshold policy "${s}": the quantile must be between 0 and 1`);
    }
  }
  throw new SquidError(`unknown threshold policy "${s}": use val-f1, normal-quantile:Q (e.g. normal-quantile:0.95), fixed:X or oracle`);
}

/** The policy as its string form (inverse of parseThresholdPolicy). */
export function formatThresholdPolicy(p: ThresholdPolicy): string {
  switch (p.kind) {
    case 'val-f1':
    case 'oracle':
      return p.kind;
    case 'normal-quantile':
      return `normal-quantile:${p.q}`;
    case 'fixed':
      return `fixed:${p.value}`;
  }
}

/** Labels and scores of one set. */
export interface ScoreSet {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

export interface ThresholdInputs {
  /** The set being evaluated (used only by `oracle`, and by `normal-quantile` as a last resort). */
  evaluated: ScoreSet;
  /** Validation set (required by `val-f1`). */
  validation?: ScoreSet;
  /** Scores of normal reference images (e.g. training images) for `normal-quantile`. */
  normalReference?: ArrayLike<number>;
}

export interface ChosenThreshold {
  value: number;
  /** The policy string, e.g. "val-f1". */
  policy: string;
  /** True only for the oracle policy: chosen with the evaluated labels. */
  oracle: boolean;
  /** Where the threshold came from. */
  source: 'validation' | 'normal-reference' | 'validation-normals' | 'evaluated-normals' | 'fixed' | 'evaluated-labels' | 'stored with the run';
}

/**
 * Confusion matrices at every candidate threshold in one sweep, O(n log n):
 * candidates are the distinct scores ascending, then +Infinity when
 * `withInfinity` (everything predicted normal).
 */
function sweep(set: ScoreSet, withInfinity: boolean): { t: number; c: ConfusionMatrix }[] {
  const n = set.labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (set.scores[a] as number) - (set.scores[b] as number));
  let pos = 0;
  for (let i = 0; i < n; i++) if (set.labels[i] === 1) pos++;
  const neg = n - pos;
  const out: { t: number; c: ConfusionMatrix }[] = [];
  // Below the current candidate (predicted normal): fnBelow abnormal, tnBelow normal.
  let fnBelow = 0;
  let tnBelow = 0;
  let k = 0;
  while (k < n) {
    const t = set.scores[order[k] as number] as number;
    out.push({ t, c: { tp: pos - fnBelow, fp: neg - tnBelow, tn: tnBelow, fn: fnBelow } });
    while (k < n && (set.scores[order[k] as number] as number) === t) {
      if (set.labels[order[k] as number] === 1) fnBelow++;
      else tnBelow++;
      k++;
    }
  }
  if (withInfinity) out.push({ t: Number.POSITIVE_INFINITY, c: { tp: 0, fp: 0, tn: neg, fn: pos } });
  return out;
}

/** The candidate maximizing `objective`; ties go to the first (lowest threshold). */
function bestThreshold(candidates: { t: number; c: ConfusionMatrix }[], objective: (c: ConfusionMatrix) => number): number {
  let best = candidates[0]?.t ?? Number.POSITIVE_INFINITY;
  let bestVal = -Infinity;
  for (const { t, c } of candidates) {
    const v = objective(c);
    if (v > bestVal) {
      bestVal = v;
      best = t;
    }
  }
  return best;
}

/** Threshold maximizing F1 (candidates: the distinct scores; ties to the lowest). */
export function f1OptimalThreshold(set: ScoreSet): number {
  let pos = 0;
  for (let i = 0; i < set.labels.length; i++) if (set.labels[i] === 1) pos++;
  if (pos === 0) throw new SquidError('val-f1 needs abnormal images in the validation set');
  return bestThreshold(sweep(set, false), (c) => metricsFromConfusion(c, 0).f1);
}

/**
 * Threshold maximizing accuracy (candidates: the distinct scores and
 * +Infinity = everything normal; ties to the lowest).
 */
export function accuracyOptimalThreshold(set: ScoreSet): number {
  return bestThreshold(sweep(set, true), (c) => metricsFromConfusion(c, 0).accuracy);
}

function normalsOf(set: ScoreSet): number[] {
  const out: number[] = [];
  for (let i = 0; i < set.labels.length; i++) if (set.labels[i] === 0) out.push(set.scores[i] as number);
  return out;
}

/** Apply a policy. Throws SquidError when the policy's inputs are missing. */
export function chooseThreshold(policy: ThresholdPolicy, inputs: ThresholdInputs): ChosenThreshold {
  const name = formatThresholdPolicy(policy);
  switch (policy.kind) {
    case 'fixed':
      return { value: policy.value, policy: name, oracle: false, source: 'fixed' };
    case 'val-f1':
      if (!inputs.validation) throw new SquidError('threshold policy val-f1 needs validation scores (e.g. --val-scores)');
      return { value: f1OptimalThreshold(inputs.validation), policy: name, oracle: false, source: 'validation' };
    case 'oracle':
      return { value: accuracyOptimalThreshold(inputs.evaluated), policy: name, oracle: true, source: 'evaluated-labels' };
    case 'normal-quantile': {
      let normals: number[];
      let source: ChosenThreshold['source'];
      if (inputs.normalReference && inputs.normalReference.length > 0) {
        normals = Array.from(inputs.normalReference);
        source = 'normal-reference';
      } else if (inputs.validation && normalsOf(inputs.validation).length > 0) {
        normals = normalsOf(inputs.validation);
        source = 'validation-normals';
      } else {
        normals = normalsOf(inputs.evaluated);
        source = 'evaluated-normals';
      }
      if (normals.length === 0) throw new SquidError(`${name} needs scores of normal images`);
      normals.sort((a, b) => a - b);
      return { value: quantileSorted(normals, policy.q), policy: name, oracle: false, source };
    }
  }
}
