/** Types of the evaluation report (metrics.json and report.html). */
import type { Label } from '../data/types.js';
import type { AucInterval } from '../metrics/bootstrap.js';
import type { ChosenThreshold, ThresholdPolicy } from '../metrics/threshold.js';
import type { ConfusionMatrix } from '../metrics/confusion.js';

/** One scored image. Higher score = more anomalous. */
export interface ScoredRow {
  path: string;
  label: Label;
  score: number;
  /** Anomaly type of an abnormal image (e.g. DigitAnatomy's "missing"); "normal" or absent for normals. */
  type?: string;
}

/** One image shown in the report beside a row (e.g. "input", "reconstruction", "heatmap"). */
export interface Thumbnail {
  label: string;
  png: Uint8Array;
}

/**
 * Supplies the thumbnails of a row; [] shows none. The default provider
 * loads the file at `path` (when it exists) as a grayscale thumbnail.
 */
export type ThumbnailProvider = (path: string, row: ScoredRow) => Promise<Thumbnail[]>;

export interface ReportOptions {
  /** Output folder (created). */
  out: string;
  /** The evaluated rows (both classes required). */
  rows: ScoredRow[];
  /** Validation rows (for val-f1, or normal-quantile on validation normals). */
  valRows?: ScoredRow[];
  /** Scores of normal reference images (e.g. training images) for normal-quantile. */
  normalReferenceScores?: number[];
  /** Threshold policy (object or string); default val-f1 with valRows, else normal-quantile:0.95. */
  threshold?: ThresholdPolicy | string;
  /** What a fixed threshold is, in words (e.g. "the run's position threshold (val-f1)"): shown instead of fixed:X. */
  storedThreshold?: string;
  /** Name of the primary score (default "score"). */
  scoreName?: string;
  /** Other score kinds of the same images (name -> rows): their AUCs are listed too. */
  extraScores?: Record<string, ScoredRow[]>;
  /** Page title (default "squid evaluation report"). */
  title?: string;
  /** Bootstrap of the AUC interval: resamples (default 1000) and seed (default 0). */
  bootstrap?: { n?: number; seed?: number };
  /** Thumbnails: a provider, or false for none. Default: the files themselves, when they exist. */
  thumbnails?: ThumbnailProvider | false;
  /** Thumbnails per group (highest-scoring normals, lowest-scoring abnormals). Default 8. */
  thumbnailCount?: number;
  /** Side of default thumbnails in pixels. Default 128. */
  thumbnailSize?: number;
  /** Add the oracle figures (best accuracy on the evaluated labels, labelled oracle) beside the policy's. Default true. */
  includeOracle?: boolean;
  /** Training curves (e.g. from a run's log.jsonl), drawn in the page and written as learning-curve.svg. */
  learningCurve?: LearningCurve;
  /** Free-form facts recorded under "meta" in metrics.json and listed in the page (model, checkpoint, backend...). */
  meta?: Record<string, string | number | boolean>;
}

/** Metrics at the chosen threshold. `oracle: true` when the threshold was chosen on the evaluated labels. */
export interface MetricsBlock {
  oracle: boolean;
  accuracy: number;
  precision: number;
  recall: number;
  sensitivity: number;
  specificity: number;
  f1: number;
  confusion: ConfusionMatrix;
}

export interface Counts {
  total: number;
  normal: number;
  abnormal: number;
}

export interface TypeAuc {
  auc: number;
  /** Abnormal images of this type (each compared against all normals). */
  n: number;
}

/** The content of metrics.json. */
export interface ReportMetrics {
  score_convention: string;
  score_name: string;
  counts: Counts;
  val_counts?: Counts;
  auc: number;
  auc_ci: AucInterval;
  threshold: ChosenThreshold;
  metrics: MetricsBlock;
  /** Per anomaly type: that type's abnormal rows against all normal rows. */
  per_type_auc?: Record<string, TypeAuc>;
  /** Other score kinds. */
  extra_scores?: Record<string, { auc: number; auc_ci: AucInterval; per_type_auc?: Record<string, TypeAuc> }>;
  /** Oracle figures (threshold of best accuracy on the evaluated labels): label them "oracle" wherever shown. */
  oracle_best_accuracy?: { oracle: true; threshold: number; metrics: MetricsBlock };
  meta?: Record<string, string | number | boolean>;
}

export interface ReportResult {
  metrics: ReportMetrics;
  files: { metricsJson: string; rocSvg: string; histogramSvg: string; scoresCsv: string; reportHtml: string; learningCurveSvg?: string };
}

/** Per-epoch training values: validation AUC per score kind and the losses (null where an epoch has none). */
export interface LearningCurve {
  /** 1-based epoch numbers (a partial last epoch included). */
  epochs: number[];
  /** Wall minutes since the run started at the end of each epoch, when recorded. */
  minutes?: (number | null)[];
  valAuc: Record<string, (number | null)[]>;
  losses: Record<string, (number | null)[]>;
  /** The score kind that picked the best model. */
  selectedBy?: string;
}
