/** The space-aware patch memory and the "memory" score (core/squid/patchMemory.ts, core/score/patchMemoryFill.ts). */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { applyOverrides, validatePreset } from '../../../src/core/squid/presetSchema.js';
import { scoreKindsOf, getPreset, PresetError } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { fillPatchMemory } from '../../../src/core/score/patchMemoryFill.js';
import { scoreImages, rawOf } from '../../../src/core/score/scorer.js';
import { SquidError } from '../../../src/core/util/errors.js';
import { microPreset, images } from './modelHarness.js';

before(async () => {
  await useBackend('auto', { quiet: true });
});

const withMemory = (slots: number, dim = 8) => applyOverrides(microPreset(), { model: { patchMemory: { slots, dim } } });

test('patch memory: nearest distances equal a brute-force search, per position', () => {
  const model = createSquid(withMemory(5));
  const N = 4;
  const bank = images(7, 16, 3);
  const pixels = bank.dataSync() as Float32Array;
  // 7 images: 1 for statistics (a quarter, floored), 6 for 5 slots
  fillPatchMemory(model, pixels, 16, 5);
  const x = images(3, 16, 9);
  const got = model.patchDistances(x).arraySync() as number[][]; // [3, N]
  const slots = tf.tidy(() => tf.slice(model.patchFeatures(bank), [0, 0, 0], [-1, 5, -1])).arraySync() as number[][][]; // [N,5,k]
  const feats = model.patchFeatures(x).arraySync() as number[][][]; // [N,3,k]
  for (let p = 0; p < N; p++) {
    for (let i = 0; i < 3; i++) {
      const want = Math.min(...(slots[p] as number[][]).map((m) => m.reduce((s, v, j) => s + (v - (feats[p]?.[i]?.[j] as number)) ** 2, 0)));
      assert.ok(Math.abs((got[i]?.[p] as number) - want) <= 1e-4 * Math.max(1, want), `position ${p} image ${i}: ${got[i]?.[p]} vs ${want}`);
    }
  }
  tf.dispose([bank, x]);
  model.dispose();
});

test('memory score: an image held in the memory is more normal than a changed copy, and the state round-trips', async () => {
  const preset = withMemory(40);
  const model = createSquid(preset);
  const bank = images(60, 16, 5);
  const pixels = bank.dataSync() as Float32Array;
  fillPatchMemory(model, pixels, 16, 40);
  const px = 16 * 16;
  const held = pixels.slice(0, 2 * px);
  const changed = held.slice();
  for (let i = 0; i < 8 * 16; i++) changed[i] = 1 - (changed[i] as number); // the top half of image 1 inverted
  const raw = rawOf(await scoreImages(model, Float32Array.from([...held, ...changed]), 16, { kinds: ['memory'] }), 'memory');
  assert.ok((raw[0] as number) > (raw[2] as number), `held ${raw[0]} vs changed ${raw[2]}`);
  const copy = createSquid(preset, { seed: 7 });
  const state = model.getState();
  copy.setState(state);
  const again = rawOf(await scoreImages(copy, Float32Array.from([...held, ...changed]), 16, { kinds: ['memory'] }), 'memory');
  assert.deepEqual(Array.from(again), Array.from(raw));
  // a checkpoint leaves the memory out: restored, it is empty until refilled
  const checkpointLike = Object.fromEntries(Object.entries(state).filter(([k]) => !k.startsWith('patchMemory/')));
  copy.setState(checkpointLike);
  assert.equal(copy.patchMemoryFilled(), false);
  tf.dispose(Object.values(state));
  tf.dispose(bank);
  model.dispose();
  copy.dispose();
});

test('memory score: an empty memory is an error, a preset without one has no memory kind', async () => {
  const model = createSquid(withMemory(4));
  await assert.rejects(scoreImages(model, new Float32Array(16 * 16), 16, { kinds: ['memory'] }), SquidError);
  model.dispose();
  assert.ok(!scoreKindsOf(getPreset('tiny').model).includes('memory'));
  assert.ok(scoreKindsOf(withMemory(4).model).includes('memory'));
  assert.throws(() => validatePreset({ ...getPreset('tiny'), score: 'memory' }), PresetError);
  assert.throws(() => applyOverrides(getPreset('tiny'), { model: { patchMemory: { slots: 0, dim: 8 } } }), /patchMemory\.slots/);
  assert.throws(() => applyOverrides(getPreset('tiny'), { model: { patchMemory: { slots: 4, size: 8 } } }), /unknown key/);
});
