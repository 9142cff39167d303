/** Compute the content of metrics.json from score rows (pure; no files). */
import { bootstrapAucCi } from '../metrics/bootstrap.js';
import { metricsAtThreshold, type ThresholdMetrics } from '../metrics/confusion.js';
import { rocAuc } from '../metrics/roc.js';
import { chooseThreshold, accuracyOptimalThreshold, parseThresholdPolicy, type ThresholdPolicy } from '../metrics/threshold.js';
import { SquidError } from '../../core/util/errors.js';
import type { Counts, MetricsBlock, ReportMetrics, ReportOptions, ScoredRow, TypeAuc } from './types.js';

export const SCORE_CONVENTION = 'higher score = more anomalous; label 1 = abnormal; predicted abnormal when score >= threshold';

export function countsOf(rows: readonly ScoredRow[]): Counts {
  const abnormal = rows.filter((r) => r.label === 1).length;
  return { total: rows.length, normal: rows.length - abnormal, abnormal };
}

function block(m: ThresholdMetrics, oracle: boolean): MetricsBlock {
  return {
    oracle,
    accuracy: m.accuracy,
    precision: m.precision,
    recall: m.recall,
    sensitivity: m.sensitivity,
    specificity: m.specificity,
    f1: m.f1,
    confusion: { tp: m.tp, fp: m.fp, tn: m.tn, fn: m.fn },
  };
}

const labelsOf = (rows: readonly ScoredRow[]): number[] => rows.map((r) => r.label);
const scoresOf = (rows: readonly ScoredRow[]): number[] => rows.map((r) => r.score);

/**
 * AUC of each anomaly type: the abnormal rows of that type against all
 * normal rows. Undefined when no abnormal row has a type.
 */
export function perTypeAuc(rows: readonly ScoredRow[]): Record<string, TypeAuc> | undefined {
  const normals = rows.filter((r) => r.label === 0);
  const types = [...new Set(rows.filter((r) => r.label === 1 && r.type && r.type !== 'normal').map((r) => r.type as string))].sort();
  if (types.length === 0 || normals.length === 0) return undefined;
  const out: Record<string, TypeAuc> = {};
  for (const t of types) {
    const ab = rows.filter((r) => r.label === 1 && r.type === t);
    const sub = [...normals, ...ab];
    out[t] = { auc: rocAuc(labelsOf(sub), scoresOf(sub)), n: ab.length };
  }
  return out;
}

/** The default policy: val-f1 when validation rows are given, else normal-quantile:0.95. */
export function defaultPolicy(hasValidation: boolean): ThresholdPolicy {
  return hasValidation ? { kind: 'val-f1' } : { kind: 'normal-quantile', q: 0.95 };
}

/** Everything metrics.json holds, computed from the options' rows. */
export function evaluateScores(opts: Omit<ReportOptions, 'out'>): ReportMetrics {
  const rows = opts.rows;
  const counts = countsOf(rows);
  if (counts.normal === 0 || counts.abnormal === 0) {
    throw new SquidError(`an evaluation needs normal and abnormal images; got ${counts.normal} normal and ${counts.abnormal} abnormal`);
  }
  const labels = labelsOf(rows);
  const scores = scoresOf(rows);
  const policy =
    typeof opts.threshold === 'string' ? parseThresholdPolicy(opts.threshold) : (opts.threshold ?? defaultPolicy(!!opts.valRows));
  const bootN = opts.bootstrap?.n ?? 1000;
  const bootSeed = opts.bootstrap?.seed ?? 0;
  const chosen = chooseThreshold(policy, {
    evaluated: { labels, scores },
    validation: opts.valRows ? { labels: labelsOf(opts.valRows), scores: scoresOf(opts.valRows) } : undefined,
    normalReference: opts.normalReferenceScores,
  });
  const result: ReportMetrics = {
    score_convention: SCORE_CONVENTION,
    score_name: opts.scoreName ?? 'score',
    counts,
    auc: rocAuc(labels, scores),
    auc_ci: bootstrapAucCi(labels, scores, { n: bootN, seed: bootSeed }),
    threshold: opts.storedThreshold && policy.kind === 'fixed' ? { ...chosen, policy: opts.storedThreshold, source: 'stored with the run' } : chosen,
    metrics: block(metricsAtThreshold(labels, scores, chosen.value), chosen.oracle),
  };
  if (opts.valRows) result.val_counts = countsOf(opts.valRows);
  const types = perTypeAuc(rows);
  if (types) result.per_type_auc = types;
  if (opts.extraScores && Object.keys(opts.extraScores).length > 0) {
    result.extra_scores = {};
    for (const [name, extra] of Object.entries(opts.extraScores)) {
      const l = labelsOf(extra);
      const s = scoresOf(extra);
      const e: { auc: number; auc_ci: ReturnType<typeof bootstrapAucCi>; per_type_auc?: Record<string, TypeAuc> } = {
        auc: rocAuc(l, s),
        auc_ci: bootstrapAucCi(l, s, { n: bootN, seed: bootSeed }),
      };
      const et = perTypeAuc(extra);
      if (et) e.per_type_auc = et;
      result.extra_scores[name] = e;
    }
  }
  if ((opts.includeOracle ?? true) && !chosen.oracle) {
    const t = accuracyOptimalThreshold({ labels, scores });
    result.oracle_best_accuracy = { oracle: true, threshold: t, metrics: block(metricsAtThreshold(labels, scores, t), true) };
  }
  if (opts.meta) result.meta = { ...opts.meta };
  return result;
}
