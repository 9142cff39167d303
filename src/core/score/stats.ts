/**
 * The score statistics of a trained model, in one format: what
 * RUN/scoring.json holds, what an export's squid.json carries per kind
 * (its normalization and threshold), and what a Detector standardizes and
 * thresholds with. Browser-safe.
 */
import type { OptionalScoreKind, ScoreKind } from '../squid/presets.js';
import { SquidError } from '../util/errors.js';

export interface ScoreStats {
  /** Mean and standard deviation of the raw score over training images. */
  mean: number;
  std: number;
  /** Anomaly-score threshold: label "anomaly" when score >= threshold. */
  threshold: number;
  /** How the threshold was chosen, e.g. "val-f1" or "normal-quantile:0.95". */
  policy: string;
  /** The raw scores of the training images (for label-free thresholds later). */
  trainRaw?: number[];
}

/** The kinds every model has ("memory" and "position" only some: presets.ts OPTIONAL_SCORE_KINDS). */
export type BaseScoreKind = Exclude<ScoreKind, OptionalScoreKind>;

export type ScoringJson = Record<BaseScoreKind, ScoreStats> & {
  memory?: ScoreStats;
  position?: ScoreStats;
  'input+position'?: ScoreStats;
  trainImages: number;
  /** The floor applied to every std (SCORE_STD_FLOOR; absent in older files, which replaced a std of 0 by 1). */
  stdFloor?: number;
  date: string;
};

/** The statistics of one kind; an error naming the kind when the scoring has none (a model without a patch memory has no "memory"). */
export function statsOf(scoring: ScoringJson, kind: ScoreKind): ScoreStats {
  const s = scoring[kind];
  const why = kind === 'memory' ? ' (the model has no patch memory)' : kind.includes('position') ? ' (the model has no position task, or the run was scored before the kind existed)' : '';
  if (!s) throw new SquidError(`these score statistics have no "${kind}" score${why}`);
  return s;
}
