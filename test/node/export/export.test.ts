/**
 * `squid export` and the shared loader: a run folder becomes an export whose
 * squid.json carries the preset, size, normalization, threshold and
 * training data; loading it (as the browser does, through an ExportReader)
 * restores the model exactly; bad exports fail naming the file. Also the
 * app's static server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { getPreset } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { disposeState } from '../../../src/core/io/modelState.js';
import { toFloat16Bits } from '../../../src/core/io/quantize.js';
import { runPaths, type ScoringJson } from '../../../src/node/io/runDir.js';
import { exportRun } from '../../../src/node/export/exportRun.js';
import { writeSeededRun } from './seededRun.js';
import { loadExport } from '../../../src/core/export/loadExport.js';
import { folderReader } from '../../../src/node/export/nodeFiles.js';
import { inferImage } from '../../../src/core/score/infer.js';
import { parseSquidJson } from '../../../src/core/export/squidJson.js';
import { serveStatic } from '../../../src/node/export/appServer.js';
import { InputError } from '../../../src/core/util/errors.js';
import { anomalyScores } from '../../../src/core/score/scorer.js';

await useBackend('cpu', { quiet: true });
const create = (p: Parameters<typeof createSquid>[0]) => createSquid(p, { seed: 0 });

const SCORING: ScoringJson = {
  discriminator: { mean: 0.3, std: 0.02, threshold: 0.7, policy: 'normal-quantile:0.95' },
  residual: { mean: -0.2, std: 0.01, threshold: 0.8, policy: 'val-f1' },
  input: { mean: 1.5, std: 0.1, threshold: 0.6, policy: 'val-f1' },
  distillation: { mean: -0.01, std: 0.002, threshold: 0.7, policy: 'val-f1' },
  trainImages: 8,
  date: '2026-11-28T12:00:00.000Z',
};

/** A run folder holding a seeded (untrained) tiny model scored by the discriminator. */
function makeRun(dir: string): Promise<Record<string, tf.Tensor>> {
  return writeSeededRun(dir, { ...getPreset('tiny'), score: 'discriminator' as const }, SCORING);
}

test('export writes squid.json and the weights; the loader restores the model exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'squid-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = join(dir, 'run');
  const out = join(dir, 'out');
  const state = await makeRun(run);
  const info = await exportRun(run, out, create);

  const onDisk = parseSquidJson(JSON.parse(readFileSync(join(out, 'squid.json'), 'utf8')));
  assert.equal(onDisk.preset.name, 'tiny');
  assert.equal(onDisk.primaryScore, 'discriminator', "the preset's score kind is the export's primary score");
  assert.equal(onDisk.inputSize, 48);
  assert.equal(onDisk.formatVersion, 2);
  assert.deepEqual(onDisk.scoring, SCORING, "squid.json's statistics are the run's scoring.json, in its format");
  assert.equal(onDisk.training.data, 'digitanatomy');
  const shards = onDisk.files.filter((f) => f.endsWith('.bin'));
  assert.deepEqual(onDisk.files.filter((f) => !f.endsWith('.bin')).sort(), ['model.json', 'squid.json']);
  assert.ok(shards.length >= 1 && shards.every((f, i) => f === `group1-shard${i + 1}of${shards.length}.bin`), `TF.js shard names: ${shards.join(', ')}`);
  assert.ok(shards.every((f) => statSync(join(out, f)).size <= 4 * 1024 * 1024), 'shards of at most 4 MB');
  assert.deepEqual(info.preset, onDisk.preset);

  const loaded = await loadExport(folderReader(out), create);
  const restored = loaded.model.getState();
  assert.deepEqual(Object.keys(restored).sort(), Object.keys(state).sort());
  for (const [name, t0] of Object.entries(state)) {
    const a = t0.dataSync();
    const b = (restored[name] as tf.Tensor).dataSync();
    assert.equal(a.length, b.length, name);
    for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i], `${name}[${i}]`);
  }
  disposeState(restored);

  // Scores: the model built straight from the run state gives the same numbers.
  const direct = createSquid(getPreset('tiny'), { seed: 0 });
  direct.setState(state);
  const img = Float32Array.from({ length: 48 * 48 }, (_, i) => ((i * 37) % 101) / 100);
  const a = await inferImage(loaded.model, loaded.info, img);
  const b = await inferImage(direct, loaded.info, img);
  assert.equal(a.scores.discriminator?.raw, b.scores.discriminator?.raw);
  assert.equal(a.score, anomalyScores([a.scores.discriminator?.raw ?? NaN], 0.3, 0.02)[0]);
  assert.equal(a.scores.distillation, undefined, 'the teacher runs only when distillation is the primary score');
  assert.equal(a.abnormal, a.score >= 0.7);
  assert.equal(a.reconstruction.length, 48 * 48);
  assert.ok(a.heatmap.every((v) => v >= 0 && v <= 1), 'heatmap in [0, 1]');
  direct.dispose();
  loaded.model.dispose();
  disposeState(state);
});

test('export in shards and quantized: float16 halves the weights and uint8 quarters them; both load and score near float32', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'squid-export-q-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = join(dir, 'run');
  disposeState(await makeRun(run));
  const img = Float32Array.from({ length: 48 * 48 }, (_, i) => ((i * 37) % 101) / 100);
  const bytes = (out: string, files: string[]): number => files.filter((f) => f.endsWith('.bin')).reduce((n, f) => n + statSync(join(out, f)).size, 0);
  const exported: Record<string, { bytes: number; raw: number }> = {};
  for (const q of [undefined, 'float16', 'uint8'] as const) {
    const out = join(dir, q ?? 'float32');
    const info = await exportRun(run, out, create, { quantize: q, shardBytes: 256 * 1024 });
    const shards = info.files.filter((f) => f.endsWith('.bin'));
    assert.ok(shards.length > 1 && shards.every((f) => statSync(join(out, f)).size <= 256 * 1024), `${q ?? 'float32'}: shards of at most 256 KB`);
    const loaded = await loadExport(folderReader(out), create);
    const r = await inferImage(loaded.model, loaded.info, img);
    loaded.model.dispose();
    exported[q ?? 'float32'] = { bytes: bytes(out, info.files), raw: r.scores.discriminator?.raw ?? NaN };
  }
  const f32 = exported.float32!;
  assert.ok(Math.abs(exported.float16!.bytes / f32.bytes - 0.5) < 0.01, `float16: ${exported.float16!.bytes} of ${f32.bytes} bytes`);
  assert.ok(Math.abs(exported.uint8!.bytes / f32.bytes - 0.25) < 0.01, `uint8: ${exported.uint8!.bytes} of ${f32.bytes} bytes`);
  assert.ok(Math.abs(exported.float16!.raw - f32.raw) < 0.01 * (1 + Math.abs(f32.raw)), `float16 raw ${exported.float16!.raw} vs ${f32.raw}`);
  assert.ok(Number.isFinite(exported.uint8!.raw) && exported.uint8!.raw !== f32.raw, `uint8 raw ${exported.uint8!.raw}: finite, and changed by the rounding`);
});

test('float16 bits: exact for representable values (normal, subnormal, largest), nearest-even otherwise, as TF.js decodes them', () => {
  const values = [0, -0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e-9, 1e6];
  const spec = [{ name: 'v', shape: [values.length], dtype: 'float32' as const, quantization: { dtype: 'float16' as const } }];
  const bits = Uint16Array.from(values, (v) => toFloat16Bits(v));
  const decoded = tf.io.decodeWeights(bits.buffer, spec).v!.dataSync();
  assert.deepEqual(Array.from(decoded), [0, -0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1, 1 + 4 * 2 ** -11, 0, Infinity]);
});

test('bad runs and exports fail naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'squid-export-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = join(dir, 'run');
  disposeState(await makeRun(run));
  const out = join(dir, 'out');
  const shard = (await exportRun(run, out, create)).files.find((f) => f.endsWith('.bin')) as string;

  // missing weights file
  const weights = readFileSync(join(out, shard));
  unlinkSync(join(out, shard));
  await assert.rejects(loadExport(folderReader(out), create), (e: Error) => e instanceof InputError && e.message.includes(`${shard}: missing`));
  // truncated weights
  writeFileSync(join(out, shard), weights.subarray(0, weights.length - 8));
  await assert.rejects(loadExport(folderReader(out), create), /bytes/);
  writeFileSync(join(out, shard), weights);
  // squid.json of another preset
  const squid = JSON.parse(readFileSync(join(out, 'squid.json'), 'utf8')) as { preset: { name: string } };
  writeFileSync(join(out, 'squid.json'), JSON.stringify({ ...squid, preset: { ...squid.preset, name: 'other' } }));
  await assert.rejects(loadExport(folderReader(out), create), /disagree on the preset/);
  writeFileSync(join(out, 'squid.json'), '{ not json');
  await assert.rejects(loadExport(folderReader(out), create), /squid\.json: not valid JSON/);

  // a run without scoring.json
  unlinkSync(runPaths(run).scoring);
  await assert.rejects(exportRun(run, join(dir, 'out2'), create), (e: Error) => e instanceof InputError && e.message.includes('scoring.json'));
});

test('squid.json validation names the problem; a null threshold reads as none', () => {
  const good = {
    format: 'squid-ts-export',
    formatVersion: 2,
    preset: getPreset('tiny'),
    inputSize: 48,
    primaryScore: 'discriminator',
    scoring: { discriminator: { mean: 0, std: 1, threshold: 0.5, policy: 'p' }, residual: { mean: 0, std: 1, threshold: null, policy: 'none' }, trainImages: 1, date: 'd' },
    training: { data: 'x', seed: 0 },
    exportedAt: 'now',
    files: [],
  };
  const parsed = parseSquidJson(good);
  assert.equal(parsed.inputSize, 48);
  assert.equal(parsed.scoring.discriminator.threshold, 0.5);
  assert.ok(Number.isNaN(parsed.scoring.residual.threshold), 'null in the file: no threshold');
  assert.throws(() => parseSquidJson({ ...good, format: 'x' }), /not a squid-ts export/);
  assert.throws(() => parseSquidJson({ ...good, formatVersion: 3 }), /format version 3 is not supported/);
  assert.throws(() => parseSquidJson({ ...good, inputSize: 96 }), /does not match the preset's image size 48/);
  assert.throws(() => parseSquidJson({ ...good, scoring: { discriminator: { mean: 0, std: Number.NaN, threshold: 0.5 } } }), /scoring\.discriminator/);
  assert.throws(() => parseSquidJson({ ...good, scoring: { residual: { mean: 0, std: 1, threshold: 0.5 } } }), /no statistics for the primary score/);
  assert.throws(() => parseSquidJson({ ...good, scoring: { ...good.scoring, memroy: { mean: 0, std: 1, threshold: 0.5 } } }), /unknown score kind "memroy"/);
});

test('a squid.json of format version 1 (exports made before version 2) still loads, into the one statistics format', () => {
  const v1 = {
    format: 'squid-ts-export',
    formatVersion: 1,
    preset: getPreset('tiny'),
    inputSize: 48,
    primaryScore: 'discriminator',
    normalization: { discriminator: { mean: 0.3, std: 0.02 }, residual: { mean: -0.2, std: 0.01, threshold: 0.8, policy: 'val-f1' } },
    threshold: { value: 0.7, policy: 'normal-quantile:0.95', score: 'discriminator' },
    training: { data: 'x', date: '2026-11-01T00:00:00.000Z', images: 8, seed: 0 },
    exportedAt: 'now',
    files: [],
  };
  const p = parseSquidJson(v1);
  assert.equal(p.formatVersion, 2);
  assert.deepEqual(p.scoring.discriminator, { mean: 0.3, std: 0.02, threshold: 0.7, policy: 'normal-quantile:0.95' });
  assert.deepEqual(p.scoring.residual, { mean: -0.2, std: 0.01, threshold: 0.8, policy: 'val-f1' });
  assert.equal(p.scoring.trainImages, 8);
  assert.equal(p.scoring.date, '2026-11-01T00:00:00.000Z');
  assert.throws(() => parseSquidJson({ ...v1, normalization: { residual: { mean: 0, std: 1 } }, threshold: null }), /no statistics for the primary score/);
  assert.throws(() => parseSquidJson({ ...v1, threshold: { value: 0.5, policy: 'p', score: 'input' } }), /threshold is on "input"/);
});

function get(url: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the app server serves files on 127.0.0.1 only, with a self-only CSP, and nothing outside its folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'squid-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'a.wasm'), Buffer.from([0, 97, 115, 109]));
  const secret = join(tmpdir(), 'squid-serve-secret.txt');
  writeFileSync(secret, 'secret');
  t.after(() => rmSync(secret, { force: true }));
  const srv = await serveStatic(dir, 0);
  t.after(() => srv.close());
  const addr = srv.server.address();
  assert.ok(addr && typeof addr === 'object' && addr.address === '127.0.0.1');
  const index = await get(srv.url);
  assert.equal(index.status, 200);
  assert.match(index.body, /<title>x<\/title>/);
  assert.match(String(index.headers['content-security-policy']), /default-src 'self'/);
  assert.match(String(index.headers['content-security-policy']), /connect-src 'self'/);
  const wasm = await get(`${srv.url}a.wasm`);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.equal((await get(`${srv.url}missing.js`)).status, 404);
  assert.notEqual((await get(`${srv.url}..%2fsquid-serve-secret.txt`)).body, 'secret');
  assert.equal((await get(srv.url, 'POST')).status, 405);
});
