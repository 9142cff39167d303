/**
 * Scores against a stored fixture: a refactor of the model, its inference
 * tactics or the scorer must give the same raw scores as the code that
 * wrote test/fixtures/scores-tiny.json, bit for bit on tfjs-cpu and within
 * 1e-5 (relative) on the native backend.
 * The fixture is the `tiny` preset at seed 5 after one deterministic
 * training step, scoring 6 generated DigitAnatomy images (3 normal, 3 abnormal).
 * Rewrite it only on purpose: SQUID_WRITE_FIXTURES=1 node --test dist/test/core/score/fixture.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useBackend } from '../../../src/node/backend/select.js';
import { getPreset } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { createOptimizers, ganStep } from '../../../src/node/train/ganStep.js';
import { createDigitAnatomy } from '../../../src/node/digitanatomy/index.js';
import { rawOf, scoreImages, type ScoreKind } from '../../../src/core/score/scorer.js';
import { scoreKindsOf } from '../../../src/core/squid/presets.js';
import { Rng } from '../../../src/core/util/rng.js';
import * as tf from '@tensorflow/tfjs-core';
import { REPO } from '../../repo.js';

const FIXTURE = path.join(REPO, 'test', 'fixtures', 'scores-tiny.json');
/** The tiny preset's kinds (it has no patch memory). */
const FIXTURE_KINDS = scoreKindsOf(getPreset('tiny').model);
type Fixture = Partial<Record<ScoreKind, number[]>>;

async function scoresOn(backend: 'cpu' | 'native'): Promise<Fixture | null> {
  const info = await useBackend(backend, { quiet: true });
  if (info.name !== backend) return null;
  const preset = getPreset('tiny');
  const model = createSquid(preset, { seed: 5 });
  const gen = await createDigitAnatomy({ size: 48, split: 'test' });
  const rng = new Rng(6);
  const opt = createOptimizers(model, preset);
  const batch = tf.tensor4d(gen.normalBatch(2, new Rng(7)), [2, 48, 48, 1]);
  await ganStep(model, opt, batch, rng, true, () => {});
  batch.dispose();
  opt.g.dispose();
  opt.d.dispose();
  const px = 48 * 48;
  const x = new Float32Array(6 * px);
  x.set(gen.normalBatch(3, new Rng(8)));
  (['missing', 'zero', 'flipped'] as const).forEach((t, i) => x.set(gen.abnormal(t, new Rng(9 + i)).image, (3 + i) * px));
  const raw = await scoreImages(model, x, 48, { batchSize: 3 });
  const kinds = model.scoreKinds;
  model.dispose();
  return Object.fromEntries(kinds.map((k) => [k, Array.from(rawOf(raw, k))])) as Fixture;
}

test('raw scores equal the stored fixture: bit for bit on tfjs-cpu, within 1e-5 on native', async (t) => {
  const cpu = await scoresOn('cpu');
  assert.ok(cpu);
  if (process.env.SQUID_WRITE_FIXTURES === '1') {
    writeFileSync(FIXTURE, JSON.stringify(cpu, null, 1) + '\n');
    t.diagnostic(`wrote ${FIXTURE}`);
  }
  const stored = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
  assert.deepEqual(Object.keys(cpu), Object.keys(stored));
  for (const k of FIXTURE_KINDS) assert.deepEqual(cpu[k], stored[k], `tfjs-cpu, ${k}`);
  const native = await scoresOn('native');
  if (!native) {
    t.diagnostic('native backend unavailable: only tfjs-cpu compared');
    return;
  }
  for (const k of FIXTURE_KINDS) {
    (native[k] ?? []).forEach((v, i) => {
      const want = stored[k]?.[i] as number;
      assert.ok(Math.abs(v - want) <= 1e-5 * Math.max(1, Math.abs(want)), `native, ${k}, image ${i}: ${v} vs ${want}`);
    });
  }
});
