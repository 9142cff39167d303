/**
 * Evaluation metrics. Convention: higher score = more anomalous; label 1 =
 * abnormal; predicted abnormal when score >= threshold.
 */
export { rocCurve, rocAuc, trapezoidArea, checkLabelsScores, type RocCurve } from './roc.js';
export { bootstrapAucCi, quantileSorted, type AucInterval, type BootstrapOptions } from './bootstrap.js';
export {
  metricsAtThreshold,
  confusionAt,
  metricsFromConfusion,
  type ConfusionMatrix,
  type ThresholdMetrics,
} from './confusion.js';
export {
  parseThresholdPolicy,
  formatThresholdPolicy,
  chooseThreshold,
  f1OptimalThreshold,
  accuracyOptimalThreshold,
  type ThresholdPolicy,
  type ThresholdInputs,
  type ChosenThreshold,
  type ScoreSet,
} from './threshold.js';
