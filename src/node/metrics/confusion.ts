/**
 * Classification metrics at a threshold. Convention: label 1 = abnormal
 * (positive); predicted abnormal when score >= threshold. Ratios whose
 * denominator is 0 are reported as 0 (scikit-learn's zero_division=0).
 */

export interface ConfusionMatrix {
  /** Abnormal predicted abnormal. */
  tp: number;
  /** Normal predicted abnormal. */
  fp: number;
  /** Normal predicted normal. */
  tn: number;
  /** Abnormal predicted normal. */
  fn: number;
}

export interface ThresholdMetrics extends ConfusionMatrix {
  threshold: number;
  accuracy: number;
  precision: number;
  /** Recall = sensitivity = tp / (tp + fn). */
  recall: number;
  sensitivity: number;
  /** tn / (tn + fp). */
  specificity: number;
  f1: number;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export function confusionAt(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ConfusionMatrix {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/** Derived metrics of a confusion matrix. */
export function metricsFromConfusion(c: ConfusionMatrix, threshold: number): ThresholdMetrics {
  const n = c.tp + c.fp + c.tn + c.fn;
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    threshold,
    ...c,
    accuracy: ratio(c.tp + c.tn, n),
    precision,
    recall,
    sensitivity: recall,
    specificity: ratio(c.tn, c.tn + c.fp),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
  };
}

/** Confusion matrix, accuracy, precision, recall (sensitivity), specificity and F1 at a threshold. */
export function metricsAtThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(labels, scores, threshold), threshold);
}
