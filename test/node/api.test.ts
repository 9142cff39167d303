/** The library API around a run folder, without training (cheap on tfjs-cpu). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useBackend } from '../../src/node/backend/select.js';
import { getPreset } from '../../src/core/squid/presets.js';
import { createSquid } from '../../src/core/model/squid.js';
import { train, loadDetector } from '../../src/node/api.js';
import { runPaths, writeModelDir, writeRunConfig, writeScoring } from '../../src/node/io/runDir.js';
import { computeScoring } from '../../src/node/score/statistics.js';
import { disposeState } from '../../src/core/io/modelState.js';
import { createDigitAnatomy } from '../../src/node/digitanatomy/index.js';
import { saveGrayPng } from '../../src/node/image/encode.js';
import { Rng } from '../../src/core/util/rng.js';
import { InputError, SquidError } from '../../src/core/util/errors.js';

await useBackend('cpu');
const root = mkdtempSync(path.join(tmpdir(), 'squid-api-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** An untrained, seeded tiny model written as a run, with statistics over 8 generated normals. */
async function freshRun(run: string): Promise<Float32Array> {
  const preset = getPreset('tiny');
  const model = createSquid(preset, { seed: 7 });
  const gen = await createDigitAnatomy({ size: 48 });
  const normals = gen.normalBatch(8, new Rng(1));
  await writeScoring(run, await computeScoring(model, normals, 48, null));
  await writeRunConfig(run, { preset, seed: 7, data: 'digitanatomy', val: null, createdAt: new Date().toISOString(), squidTsVersion: 'test' });
  const state = model.getState();
  await writeModelDir(runPaths(run).best, preset, state);
  disposeState(state);
  model.dispose();
  return gen.normalBatch(3, new Rng(2));
}

test('loadDetector: a score depends only on its image (alone = in a batch), in (0, 1), labelled at the threshold', async () => {
  const run = path.join(root, 'fresh');
  const images = await freshRun(run);
  const detector = await loadDetector(run);
  try {
    const px = 48 * 48;
    const many = await detector.scoreMany([0, 1, 2].map((i) => images.slice(i * px, (i + 1) * px)));
    for (let i = 0; i < 3; i++) {
      const one = await detector.score(images.slice(i * px, (i + 1) * px));
      assert.ok(Math.abs(one.score - (many[i]?.score as number)) < 1e-6, `image ${i}: ${one.score} alone vs ${many[i]?.score} in a batch`);
      assert.ok(one.score > 0 && one.score < 1);
      assert.equal(one.anomalous, one.score >= detector.stats().threshold);
    }
    const residual = await detector.score(images.slice(0, px), 'residual');
    assert.equal(residual.kind, 'residual');
    assert.ok(residual.raw < 0); // -MSE
    const { heatmap, reconstruction } = await detector.heatmap(images.slice(0, px), 'residual');
    assert.equal(heatmap.length, px);
    assert.equal(reconstruction.length, px);
    assert.ok(Math.max(...heatmap) <= 1 && Math.min(...heatmap) >= 0);
    await assert.rejects(detector.score(new Float32Array(10)), /expected 48x48 = 2304 values, got 10/);
  } finally {
    detector.dispose();
  }
});

test('loadDetector and train: clear errors for a missing run, a missing preset, too few images', async () => {
  await assert.rejects(
    loadDetector(path.join(root, 'nothing')),
    (e: unknown) => e instanceof SquidError && /nothing: neither a training run \(config\.json, best\/, scoring\.json\) nor an export folder \(squid\.json\)/.test(e.message),
  );
  await assert.rejects(train({ data: 'digitanatomy', out: path.join(root, 'r1') }), (e: unknown) => e instanceof SquidError && /a preset is required/.test(e.message));
  const dir = path.join(root, 'few');
  for (let i = 0; i < 3; i++) await saveGrayPng(path.join(dir, `${i}.png`), new Float32Array(16), 4, 4);
  await assert.rejects(
    train({ data: dir, preset: 'tiny', out: path.join(root, 'r2') }),
    (e: unknown) => e instanceof SquidError && /3 images in .*few\) holds fewer images than one batch of 8/.test(e.message),
  );
  await assert.rejects(train({ out: path.join(root, 'r3'), resume: true }), (e: unknown) => e instanceof InputError && /config\.json: not found/.test(e.message));
});
