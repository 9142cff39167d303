import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { buildModelJson, decodeModel, decodeState, encodeState, parseModelJson } from '../../../src/core/io/modelState.js';
import {
  appendLog,
  readCheckpoint,
  readLog,
  readModelDir,
  readScoring,
  replaceDirAtomic,
  runPaths,
  truncateLog,
  writeCheckpoint,
  writeModelDir,
  type LogEntry,
} from '../../../src/node/io/runDir.js';
import { getPreset } from '../../../src/core/squid/presets.js';
import { InputError } from '../../../src/core/util/errors.js';

await useBackend('cpu');

const tmp = () => mkdtempSync(path.join(tmpdir(), 'squid-io-'));

function sampleState(): Record<string, tf.Tensor> {
  return {
    'b/weights': tf.tensor2d([1.5, -2, 3.25, 4], [2, 2]),
    'a/pointers': tf.tensor1d([3, 0, 7], 'int32'),
    'c/scalar': tf.scalar(0.125),
  };
}

async function sameState(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): Promise<void> {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    const x = a[k] as tf.Tensor;
    const y = b[k] as tf.Tensor;
    assert.equal(y.dtype, x.dtype, k);
    assert.deepEqual(y.shape, x.shape, k);
    assert.deepEqual(Array.from(await y.data()), Array.from(await x.data()), k);
  }
}

test('modelState: encode/decode round trip keeps names, dtypes, shapes and values', async () => {
  const s = sampleState();
  const { specs, data } = await encodeState(s);
  assert.deepEqual(specs.map((x) => x.name), ['a/pointers', 'b/weights', 'c/scalar']);
  await sameState(s, decodeState(specs, data));
  assert.throws(() => decodeState(specs, data.slice(0, data.byteLength - 4)), /holds \d+ bytes; its manifest describes/);
});

test('modelState: model.json carries the preset and rejects other formats', async () => {
  const preset = getPreset('tiny');
  const { specs, data } = await encodeState(sampleState());
  const json = parseModelJson(JSON.parse(JSON.stringify(buildModelJson(preset, specs, { epoch: 3 }))));
  assert.equal(json.preset.name, 'tiny');
  assert.deepEqual(json.weightsManifest[0]?.paths, ['weights.bin']);
  await sameState(sampleState(), decodeModel(json, data));
  assert.throws(() => parseModelJson({ ...json, format: 'other' }, 'm.json'), /m\.json: not a squid-ts model/);
  assert.throws(() => parseModelJson({ ...json, formatVersion: 99 }), /format version 99 is not supported/);
});

test('runDir: checkpoints are replaced atomically and read back; a crash leftover (.old) is used', async () => {
  const run = tmp();
  try {
    const info = {
      presetName: 'tiny',
      epoch: 2,
      iterationInEpoch: 0,
      iteration: 10,
      rng: [1, 2, 3, 4] as const,
      optimizerSteps: { generator: 10, discriminator: 10 },
      bestValAuc: null,
      bestEpoch: null,
      epochLossSums: {},
      epochLossCounts: {},
      epochSeconds: 0,
    };
    await writeCheckpoint(run, info, sampleState());
    await writeCheckpoint(run, { ...info, epoch: 3 }, sampleState());
    // Only the checkpoint folder remains: no temporary or old copies.
    assert.deepEqual(readdirSync(run).sort(), ['checkpoint']);
    const ck = await readCheckpoint(run);
    assert.equal(ck?.info.epoch, 3);
    await sameState(sampleState(), ck?.state ?? {});
    // A crash between the two renames leaves only .checkpoint.old: it is still found.
    renameSync(runPaths(run).checkpoint, path.join(run, '.checkpoint.old'));
    assert.equal((await readCheckpoint(run))?.info.epoch, 3);
    rmSync(path.join(run, '.checkpoint.old'), { recursive: true });
    assert.equal(await readCheckpoint(run), null);
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('runDir: a truncated weights file or a bad model.json is an error naming the file', async () => {
  const run = tmp();
  try {
    const dir = runPaths(run).best;
    await writeModelDir(dir, getPreset('tiny'), sampleState(), { epoch: 1 });
    await sameState(sampleState(), (await readModelDir(dir)).state);
    const bin = path.join(dir, 'weights.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 8));
    await assert.rejects(readModelDir(dir), (e: unknown) => e instanceof InputError && e.message.includes('weights.bin'));
    writeFileSync(path.join(dir, 'model.json'), '{"format":"x"}');
    await assert.rejects(readModelDir(dir), /model\.json: not a squid-ts model/);
    await assert.rejects(readScoring(run), (e: unknown) => e instanceof InputError && /scoring\.json: not found/.test(e.message));
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('runDir: replaceDirAtomic swaps whole folders; truncateLog drops epochs from a given one', async () => {
  const run = tmp();
  try {
    const dest = path.join(run, 'x');
    await replaceDirAtomic(dest, { 'a.txt': 'one', 'b.txt': 'two' });
    await replaceDirAtomic(dest, { 'c.txt': 'three' });
    assert.deepEqual(readdirSync(dest), ['c.txt']);
    const entry = (epoch: number): LogEntry => ({ epoch, iterations: epoch * 5, losses: { d: epoch }, lr: { generator: 1, discriminator: 1 }, seconds: 1 });
    for (const e of [0, 1, 2]) await appendLog(run, entry(e));
    await truncateLog(run, 1);
    assert.deepEqual((await readLog(run)).map((e) => e.epoch), [0]);
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});
