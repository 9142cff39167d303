import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/util/rng.js';
import { rocAuc, rocCurve, trapezoidArea } from '../../../src/node/metrics/roc.js';
import { bootstrapAucCi, quantileSorted } from '../../../src/node/metrics/bootstrap.js';
import { metricsAtThreshold } from '../../../src/node/metrics/confusion.js';
import { chooseThreshold, formatThresholdPolicy, parseThresholdPolicy } from '../../../src/node/metrics/threshold.js';
import { SquidError } from '../../../src/core/util/errors.js';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

/** Independent AUC: fraction of (abnormal, normal) pairs ranked correctly, ties half. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let s = 0;
  let n = 0;
  labels.forEach((li, i) => {
    if (li !== 1) return;
    labels.forEach((lj, j) => {
      if (lj !== 0) return;
      n++;
      s += (scores[i] as number) > (scores[j] as number) ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return s / n;
}

test('AUC on hand-worked cases', () => {
  close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  close(rocAuc([0, 1], [0, 1]), 1);
  close(rocAuc([0, 1], [1, 0]), 0);
  // ties between classes count one half: pairs (.5,.5)=.5, (.5,.2)=1, (.9,.5)=1, (.9,.2)=1
  close(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), 3.5 / 4);
  // all-equal scores: 0.5
  close(rocAuc([0, 1, 1, 0, 1], [3, 3, 3, 3, 3]), 0.5);
  // ties within a class change nothing: 2 abnormal at 1, normals at 0, 0, 1 -> (1+1+.5)*2 / 6
  close(rocAuc([1, 1, 0, 0, 0], [1, 1, 0, 0, 1]), 5 / 6);
});

test('AUC equals the pairwise (Mann-Whitney) count and the ROC trapezoid on random data with ties', () => {
  const rng = new Rng(9);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + rng.int(60);
    const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : rng.int(2)));
    const scores = labels.map((l) => Math.round((rng.normal() + l) * 3) / 3); // coarse: many ties
    const auc = rocAuc(labels, scores);
    close(auc, pairwiseAuc(labels, scores), 1e-12);
    const c = rocCurve(labels, scores);
    close(trapezoidArea(c.fpr, c.tpr), auc, 1e-12);
  }
});

test('rocCurve: one point per distinct score, from (0,0) to (1,1)', () => {
  const c = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
  assert.deepEqual(c.fpr, [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(c.tpr, [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(c.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
  const tied = rocCurve([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]);
  assert.deepEqual(tied.fpr, [0, 0, 0.5, 1]);
  assert.deepEqual(tied.tpr, [0, 0.5, 1, 1]);
});

test('AUC rejects a single class, bad labels and non-finite scores', () => {
  assert.throws(() => rocAuc([0, 0], [1, 2]), /needs normal and abnormal/);
  assert.throws(() => rocAuc([0, 2], [1, 2]), /labels must be 0/);
  assert.throws(() => rocAuc([0, 1], [1, NaN]), /not a finite number/);
});

test('bootstrap interval: seeded, brackets the AUC, narrows with more data, [1,1] when separable', () => {
  const rng = new Rng(4);
  const make = (n: number): [number[], number[]] => {
    const l = Array.from({ length: n }, (_, i) => i % 2);
    return [l, l.map((v) => rng.normal() + v)];
  };
  const [l1, s1] = make(60);
  const a = bootstrapAucCi(l1, s1, { seed: 1, n: 400 });
  assert.deepEqual(a, bootstrapAucCi(l1, s1, { seed: 1, n: 400 }));
  assert.notDeepEqual(a, bootstrapAucCi(l1, s1, { seed: 2, n: 400 }));
  const auc = rocAuc(l1, s1);
  assert.ok(a.low < auc && auc < a.high, `${a.low} < ${auc} < ${a.high}`);
  assert.equal(a.level, 0.95);
  assert.equal(a.resamples, 400);
  const [l2, s2] = make(1200);
  const b = bootstrapAucCi(l2, s2, { seed: 1, n: 400 });
  assert.ok(b.high - b.low < a.high - a.low, 'more data, narrower interval');
  const sep = bootstrapAucCi([0, 0, 1, 1], [0, 1, 2, 3], { n: 50 });
  assert.equal(sep.low, 1);
  assert.equal(sep.high, 1);
});

test('quantile interpolates linearly (numpy default)', () => {
  close(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  close(quantileSorted([0.1, 0.2, 0.6], 0.75), 0.4);
  close(quantileSorted([5], 0.3), 5);
});

// Evaluated set: normals 0.1, 0.2, 0.6; abnormals 0.4, 0.7, 0.9.
const EVAL = { labels: [0, 0, 0, 1, 1, 1], scores: [0.1, 0.2, 0.6, 0.4, 0.7, 0.9] };
// Validation set: normals 0.3, 0.5; abnormals 0.45, 0.8, 0.6.
const VAL = { labels: [0, 0, 1, 1, 1], scores: [0.3, 0.5, 0.45, 0.8, 0.6] };

test('metricsAtThreshold: confusion matrix and rates at score >= threshold', () => {
  const m = metricsAtThreshold(EVAL.labels, EVAL.scores, 0.4);
  assert.deepEqual([m.tp, m.fp, m.tn, m.fn], [3, 1, 2, 0]);
  close(m.accuracy, 5 / 6);
  close(m.precision, 3 / 4);
  close(m.recall, 1);
  close(m.sensitivity, 1);
  close(m.specificity, 2 / 3);
  close(m.f1, 6 / 7);
  const none = metricsAtThreshold(EVAL.labels, EVAL.scores, Infinity);
  assert.deepEqual([none.tp, none.fp, none.tn, none.fn, none.precision, none.f1], [0, 0, 3, 3, 0, 0]);
});

test('threshold policies on a hand-worked set', () => {
  // val-f1: F1 on VAL at 0.3: 6/8, 0.45: 6/7 (best), 0.5: 4/6, 0.6: 4/5, 0.8: 2/4
  const vf = chooseThreshold(parseThresholdPolicy('val-f1'), { evaluated: EVAL, validation: VAL });
  assert.deepEqual(vf, { value: 0.45, policy: 'val-f1', oracle: false, source: 'validation' });
  // oracle: accuracy on EVAL is 5/6 at 0.4 and at 0.7; ties go to the lowest
  const or = chooseThreshold(parseThresholdPolicy('oracle'), { evaluated: EVAL, validation: VAL });
  assert.deepEqual(or, { value: 0.4, policy: 'oracle', oracle: true, source: 'evaluated-labels' });
  // normal-quantile: reference scores first, then validation normals, then evaluated normals
  const q = parseThresholdPolicy('normal-quantile:0.75');
  assert.deepEqual(chooseThreshold(q, { evaluated: EVAL }), { value: 0.2 + 0.5 * 0.4, policy: 'normal-quantile:0.75', oracle: false, source: 'evaluated-normals' });
  close(chooseThreshold(q, { evaluated: EVAL, validation: VAL }).value, 0.3 + 0.75 * 0.2);
  assert.equal(chooseThreshold(q, { evaluated: EVAL, validation: VAL }).source, 'validation-normals');
  const ref = chooseThreshold(parseThresholdPolicy('normal-quantile:0.5'), { evaluated: EVAL, normalReference: [4, 1, 3, 2] });
  assert.deepEqual([ref.value, ref.source], [2.5, 'normal-reference']);
  assert.deepEqual(chooseThreshold(parseThresholdPolicy('fixed:0.65'), { evaluated: EVAL }), { value: 0.65, policy: 'fixed:0.65', oracle: false, source: 'fixed' });
  assert.throws(() => chooseThreshold({ kind: 'val-f1' }, { evaluated: EVAL }), /needs validation scores/);
});

test('policy strings parse, format back and reject nonsense', () => {
  for (const s of ['val-f1', 'oracle', 'normal-quantile:0.95', 'fixed:-1.5']) assert.equal(formatThresholdPolicy(parseThresholdPolicy(s)), s);
  for (const s of ['f1', 'normal-quantile:1.5', 'normal-quantile:', 'fixed:abc', 'fixed:']) {
    assert.throws(() => parseThresholdPolicy(s), SquidError, s);
  }
});

test('val-f1 and oracle thresholds equal a brute-force search on random data with ties', () => {
  const rng = new Rng(21);
  for (let trial = 0; trial < 20; trial++) {
    const n = 4 + rng.int(50);
    const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : rng.int(2)));
    const scores = labels.map((l) => Math.round((rng.normal() + l) * 2) / 2 + 0); // + 0: no -0
    const set = { labels, scores };
    const candidates = [...new Set(scores)].sort((a, b) => a - b);
    const brute = (cands: number[], key: 'f1' | 'accuracy'): number => {
      let best = cands[0] as number;
      for (const t of cands) if (metricsAtThreshold(labels, scores, t)[key] > metricsAtThreshold(labels, scores, best)[key]) best = t;
      return best;
    };
    assert.equal(chooseThreshold({ kind: 'val-f1' }, { evaluated: set, validation: set }).value, brute(candidates, 'f1'));
    assert.equal(chooseThreshold({ kind: 'oracle' }, { evaluated: set }).value, brute([...candidates, Infinity], 'accuracy'));
  }
});
