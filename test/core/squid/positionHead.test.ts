/** The position task and the "position" score (core/squid/positionHead.ts). */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { applyOverrides, validatePreset } from '../../../src/core/squid/presetSchema.js';
import { scoreKindsOf, getPreset, PresetError } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { ParamStore } from '../../../src/core/model/params.js';
import { PositionHead } from '../../../src/core/squid/positionHead.js';
import { scoreImages, rawOf } from '../../../src/core/score/scorer.js';
import { createOptimizers, ganStep } from '../../../src/node/train/ganStep.js';
import { rocAuc } from '../../../src/node/metrics/roc.js';
import { Rng } from '../../../src/core/util/rng.js';
import { microPreset } from './modelHarness.js';
import { computeScoring } from '../../../src/node/score/statistics.js';
import { Detector } from '../../../src/core/score/detector.js';

before(async () => {
  await useBackend('auto', { quiet: true });
});

const withPosition = (weight = 1) => applyOverrides(microPreset(), { model: { positionLoss: weight } });

test('position head: log-probabilities of each row\'s own position, and the loss gradient against finite differences', () => {
  const store = new ParamStore(3);
  const N = 4;
  const head = new PositionHead(store, 'head', N, 2 * 2 * 3);
  const skip = tf.randomNormal([2 * N, 2, 2, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const lp = head.logProbs(skip).arraySync();
  assert.equal(lp.length, 2 * N);
  for (const v of lp) assert.ok(v < 0 && Number.isFinite(v));
  // the loss is the mean of -log p
  const loss = head.loss(skip).dataSync()[0] as number;
  assert.ok(Math.abs(loss + lp.reduce((a, b) => a + b, 0) / lp.length) < 1e-5);
  // d loss / d skip at a few entries, against central differences
  const g = tf.grad((s: tf.Tensor) => head.loss(s as tf.Tensor4D))(skip).dataSync();
  const flat = skip.dataSync();
  const eps = 1e-2;
  for (const i of [0, 7, 19, 40, 95]) {
    const at = (d: number) => {
      const v = Float32Array.from(flat);
      v[i] = (v[i] as number) + d;
      return tf.tidy(() => head.loss(tf.tensor4d(v, skip.shape)).dataSync()[0] as number);
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - (g[i] as number)) < 1e-3, `entry ${i}: ${g[i]} vs ${fd}`);
  }
  skip.dispose();
  store.dispose();
});

test('position score: only models with a position task have it; a score kind without its task is an error', () => {
  assert.ok(!scoreKindsOf(getPreset('tiny').model).includes('position'));
  assert.ok(scoreKindsOf(withPosition().model).includes('position'));
  assert.ok(!scoreKindsOf(withPosition(0).model).includes('position'));
  assert.throws(() => validatePreset({ ...getPreset('tiny'), score: 'position' }), /positionLoss/);
  assert.ok(scoreKindsOf(withPosition().model).includes('input+position'), 'the combined kind comes with its parts');
  assert.ok(!scoreKindsOf(getPreset('tiny').model).includes('input+position'));
  assert.throws(() => validatePreset({ ...getPreset('tiny'), score: 'input+position' }), /positionLoss/);
  assert.throws(() => applyOverrides(getPreset('tiny'), { model: { positionLoss: -1 } }), PresetError);
});

/**
 * Images of 2x2 patches, each position with its own pattern (a bright
 * stripe at a position-specific row) over noise; an anomaly swaps two
 * patches.
 */
function quadrants(n: number, rng: Rng, swap: boolean): Float32Array {
  const S = 16;
  const half = 8;
  const out = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++) {
    const order = [0, 1, 2, 3];
    if (swap) {
      const a = rng.int(4);
      const b = (a + 1 + rng.int(3)) % 4;
      [order[a], order[b]] = [order[b] as number, order[a] as number];
    }
    for (let p = 0; p < 4; p++) {
      const pattern = order[p] as number;
      const oy = Math.floor(p / 2) * half;
      const ox = (p % 2) * half;
      for (let y = 0; y < half; y++) {
        for (let x = 0; x < half; x++) {
          const stripe = y === 1 + pattern * 2 ? 0.9 : 0;
          out[i * S * S + (oy + y) * S + ox + x] = Math.min(1, stripe + 0.3 * rng.next());
        }
      }
    }
  }
  return out;
}

test('position task: training lowers its loss, the position score tells swapped patches from normal ones, and input+position adds the parts\' z', async () => {
  const preset = applyOverrides(withPosition(1), { train: { batchSize: 8, generatorLr: 3e-3 } });
  const model = createSquid(preset);
  const opt = createOptimizers(model, preset);
  const rng = new Rng(1);
  const seen: number[] = [];
  for (let it = 0; it < 60; it++) {
    const x = tf.tensor4d(quadrants(8, rng, false), [8, 16, 16, 1]);
    await ganStep(model, opt, x, rng, true, (name, v) => {
      if (name === 'position') seen.push(v);
    });
    x.dispose();
  }
  assert.equal(seen.length, 60, 'the position loss is a part of every generator step');
  const first = seen.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
  const last = seen.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(last < 0.5 * first, `position loss ${first} -> ${last}`);
  const evalRng = new Rng(99);
  const normal = quadrants(40, evalRng, false);
  const swapped = quadrants(40, evalRng, true);
  const raw = rawOf(await scoreImages(model, Float32Array.from([...normal, ...swapped]), 16, { kinds: ['position'] }), 'position');
  // higher raw = more normal: score anomalies as -raw
  const a = rocAuc([...Array(40).fill(0), ...Array(40).fill(1)], Array.from(raw, (v) => -v));
  assert.ok(a > 0.9, `position AUC ${a}`);

  // the combined kind: statistics written after its parts', and the Detector's raw value is the sum of the parts' z
  const scoring = await computeScoring(model, quadrants(24, new Rng(5), false), 16, null);
  const both = scoring['input+position'];
  assert.ok(both && scoring.input && scoring.position, 'scoring.json holds input, position and input+position');
  assert.ok(Math.abs(both.mean) < 1e-4, `a sum of z over the same training images has mean 0 (${both.mean})`);
  const detector = new Detector(model, scoring, { kind: 'input+position' });
  const images = Float32Array.from([...normal.subarray(0, 5 * 256), ...swapped.subarray(0, 5 * 256)]);
  const r = await detector.rawScores(images, ['input', 'position', 'input+position']);
  const z = (k: 'input' | 'position', i: number) => ((rawOf(r, k)[i] as number) - scoring[k]!.mean) / scoring[k]!.std;
  rawOf(r, 'input+position').forEach((v, i) => assert.ok(Math.abs(v - z('input', i) - z('position', i)) < 1e-4, `image ${i}`));
  const one = await detector.score(images.subarray(0, 256));
  assert.equal(one.kind, 'input+position');
  assert.ok(Math.abs(one.raw - (rawOf(r, 'input+position')[0] as number)) < 1e-4, 'score() gives the same combined value');
  detector.release();
  model.dispose();
});
