/**
 * Training end to end on the tiny preset with freshly generated DigitAnatomy
 * images: it learns (finite losses, held-out reconstruction error halves,
 * queues hold training features), `squid eval` and `squid score` work on
 * the run, checkpoints round-trip to identical scores, --resume matches an
 * uninterrupted run, a NaN loss stops the run keeping the last good
 * checkpoint, and a mismatched checkpoint is a clear error.
 * Needs the native backend (tfjs-cpu convolution gradients are far too slow).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { getPreset, scoreKindsOf, type Preset } from '../../../src/core/squid/presets.js';
import { statsOf } from '../../../src/core/score/stats.js';
import { createSquid } from '../../../src/core/model/squid.js';
import type { SquidModel } from '../../../src/core/model/types.js';
import { train, loadDetector } from '../../../src/node/api.js';
import { readCheckpoint, readLog, readModelDir, readRunConfig, readScoring, runPaths } from '../../../src/node/io/runDir.js';
import { decodeState, disposeState, encodeState } from '../../../src/core/io/modelState.js';
import { createDigitAnatomy, writeDigitAnatomy } from '../../../src/node/digitanatomy/index.js';
import { ArraySource, type BatchSource } from '../../../src/node/train/sources.js';
import { NonFiniteLossError } from '../../../src/node/train/trainer.js';
import { rawOf, scoreImages } from '../../../src/core/score/scorer.js';
import { Rng } from '../../../src/core/util/rng.js';
import { SquidError } from '../../../src/core/util/errors.js';
import { REPO } from '../../repo.js';

const info = await useBackend('auto', { quiet: true });
const skip = info.name === 'cpu' ? `native backend unavailable (${info.fallbackReason ?? 'cpu requested'}); tfjs-cpu training is too slow for the suite` : false;
if (skip) process.stdout.write(`# train tests skipped: ${skip}\n`);

const root = mkdtempSync(path.join(tmpdir(), 'squid-train-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** The tiny preset with a small batch; `lr` raises the generator rate so a short test can see learning. */
function tinyPreset(batchSize: number, imagesPerEpoch: number, epochs: number, lr?: number): Preset {
  const p = getPreset('tiny');
  p.train.batchSize = batchSize;
  p.train.imagesPerEpoch = imagesPerEpoch;
  p.train.epochs = epochs;
  if (lr !== undefined) p.train.generatorLr = lr;
  return p;
}

function squid(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'squid.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

async function heldOutMse(model: SquidModel, x: Float32Array, size: number): Promise<number> {
  const raw = await scoreImages(model, x, size, { batchSize: 8 });
  const r = rawOf(raw, 'residual');
  return -r.reduce((a, b) => a + b, 0) / r.length;
}

const LEARN_ITERS = 40;
const LEARN_SEED = 3;
const learnRun = path.join(root, 'learn');
const learnPreset = tinyPreset(4, 4 * LEARN_ITERS, 1, 1e-3);
let heldOut: Float32Array;

before(async () => {
  if (skip) return;
  const gen = await createDigitAnatomy({ size: 48, split: 'test' });
  heldOut = gen.normalBatch(16, new Rng(99));
  await train({ data: 'digitanatomy', preset: learnPreset, out: learnRun, seed: LEARN_SEED, statsImages: 24 });
});

test('tiny SQUID learns on generated DigitAnatomy: finite losses, held-out reconstruction error at most half', { skip }, async () => {
  const log = await readLog(learnRun);
  assert.equal(log.length, 1);
  assert.equal(log[0]?.iterations, LEARN_ITERS);
  for (const [k, v] of Object.entries(log[0]?.losses ?? {})) assert.ok(Number.isFinite(v), `loss ${k} = ${v}`);
  assert.deepEqual(Object.keys(log[0]?.losses ?? {}).sort(), ['adversarial', 'discriminator', 'distillation', 'generator', 'reconstruction', 'teacher']);
  const initial = createSquid(learnPreset, { seed: LEARN_SEED });
  const before = await heldOutMse(initial, heldOut, 48);
  initial.dispose();
  const detector = await loadDetector(learnRun);
  const after = await heldOutMse(detector.model, heldOut, 48);
  detector.dispose();
  process.stdout.write(`# held-out reconstruction MSE ${before.toFixed(4)} -> ${after.toFixed(4)} after ${LEARN_ITERS} iterations\n`);
  assert.ok(after <= before / 2, `reconstruction MSE ${before} -> ${after}: did not halve`);
});

test('the memory queues hold training features after training', { skip }, async () => {
  const { state } = await readModelDir(runPaths(learnRun).best);
  const fresh = createSquid(learnPreset, { seed: LEARN_SEED });
  const init = fresh.getState();
  try {
    const mem = state['generator/inpaint/queue/memory'] as tf.Tensor3D;
    const ptr = Array.from(await (state['generator/inpaint/queue/pointers'] as tf.Tensor).data());
    const [Q, S] = mem.shape;
    const written = LEARN_ITERS * learnPreset.train.batchSize; // one G step per iteration (n_critic 1), one row per image and position
    assert.deepEqual(ptr, new Array(Q).fill(written % S));
    const now = (await mem.array()) as number[][][];
    const was = (await (init['generator/inpaint/queue/memory'] as tf.Tensor3D).array()) as number[][][];
    for (let q = 0; q < Q; q++) {
      for (let s = 0; s < S; s++) {
        const row = now[q]?.[s] as number[];
        if (s < Math.min(written, S)) {
          // In-painting queries come after a ReLU: never negative, and not all zero.
          assert.ok(row.every((v) => v >= 0) && row.some((v) => v > 0), `queue ${q} slot ${s} does not hold a feature`);
        } else {
          assert.deepEqual(row, was[q]?.[s], `queue ${q} slot ${s} changed without a write`);
        }
      }
    }
  } finally {
    disposeState(state);
    disposeState(init);
    fresh.dispose();
  }
});

test('run folder: config, checkpoint, best model and score statistics of every kind', { skip }, async () => {
  const config = await readRunConfig(learnRun);
  assert.equal(config.preset.name, 'tiny');
  assert.equal(config.seed, LEARN_SEED);
  assert.equal(config.data, 'digitanatomy');
  const scoring = await readScoring(learnRun);
  assert.equal(scoring.trainImages, 24);
  for (const k of scoreKindsOf(config.preset.model)) {
    const s = statsOf(scoring, k);
    assert.ok(s.std > 0 && Number.isFinite(s.mean));
    assert.equal(s.policy, 'normal-quantile:0.95');
    assert.ok(s.threshold > 0 && s.threshold < 1);
  }
  const ck = await readCheckpoint(learnRun);
  assert.equal(ck?.info.iteration, LEARN_ITERS);
  assert.equal(ck?.info.optimizerSteps.generator, LEARN_ITERS);
  if (ck) disposeState(ck.state);
});

test('checkpoint round trip: the model restored from checkpoint/ and from a re-encoded state scores identically', { skip }, async () => {
  const detector = await loadDetector(learnRun);
  const ref = await scoreImages(detector.model, heldOut, 48);
  const ck = await readCheckpoint(learnRun);
  assert.ok(ck);
  const modelState = Object.fromEntries(Object.entries(ck.state).filter(([k]) => k.startsWith('model/')).map(([k, v]) => [k.slice(6), v]));
  const a = createSquid(learnPreset, { seed: 1234 });
  a.setState(modelState);
  const fromCheckpoint = await scoreImages(a, heldOut, 48);
  const { specs, data } = await encodeState(a.getState());
  const b = createSquid(learnPreset, { seed: 4321 });
  const decoded = decodeState(specs, data);
  b.setState(decoded);
  const fromEncoded = await scoreImages(b, heldOut, 48);
  for (const k of a.scoreKinds) {
    assert.deepEqual(Array.from(rawOf(fromCheckpoint, k)), Array.from(rawOf(ref, k)), k);
    assert.deepEqual(Array.from(rawOf(fromEncoded, k)), Array.from(rawOf(ref, k)), k);
  }
  // A single image scores the same alone as in a batch (per-image statistics in D), in every kind.
  for (const k of a.scoreKinds) {
    const one = await detector.score(heldOut.subarray(0, 48 * 48), k);
    const inBatch = rawOf(ref, k)[0] as number;
    assert.ok(Math.abs(one.raw - inBatch) < 1e-4, `${k}: ${one.raw} alone vs ${inBatch} in a batch`);
  }
  disposeState(ck.state);
  disposeState(decoded);
  a.dispose();
  b.dispose();
  detector.dispose();
});

test('squid eval writes an AUC for each score kind and per anomaly type; squid score prints and draws heatmaps', { skip }, async () => {
  const data = path.join(root, 'da');
  await writeDigitAnatomy({ out: data, train: 0, normal: 8, abnormal: 8, size: 48, seed: 5 });
  const out = path.join(root, 'report');
  const r = squid(['eval', '--run', learnRun, '--data', path.join(data, 'test'), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /report: .*report\.html/);
  assert.match(r.stderr, /loading 16 images of .*: 16\/16 in [\d.]+ s\n[\s\S]*scoring 16 images: 16\/16 in [\d.]+ s\n/, 'progress of the long steps on stderr');
  const quiet = squid(['eval', '--run', learnRun, '--data', path.join(data, 'test'), '--out', path.join(root, 'report-quiet'), '--quiet', '--json']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /scoring/, '--quiet: no progress');
  assert.equal((JSON.parse(quiet.stdout) as { metrics: { auc: number } }).metrics.auc >= 0, true, '--json: the result as JSON');
  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as {
    auc: number;
    score_name: string;
    extra_scores: Record<string, { auc: number }>;
    per_type_auc: Record<string, { auc: number; n: number }>;
  };
  assert.equal(metrics.score_name, 'input', "the preset's score kind is the primary one");
  assert.match(r.stdout, /score: input, the discriminator's logit of the input image/);
  assert.deepEqual(Object.keys(metrics.extra_scores).sort(), ['discriminator', 'distillation', 'residual']);
  for (const auc of [metrics.auc, ...Object.values(metrics.extra_scores).map((e) => e.auc)]) assert.ok(typeof auc === 'number' && auc >= 0 && auc <= 1);
  assert.ok(existsSync(path.join(out, 'learning-curve.svg')), 'the training curves are drawn');
  assert.deepEqual(Object.keys(metrics.per_type_auc).sort(), ['flipped', 'misordered', 'missing', 'zero']);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /reconstruction/);
  assert.match(html, /the run(&#39;|')s input threshold \([^)]+\) \(stored with the run\)/, 'the stored threshold is named, not shown as fixed:X');
  assert.doesNotMatch(html, /fixed:0\./);

  const files = readdirSync(path.join(data, 'test', 'abnormal')).slice(0, 2).map((f) => path.join(data, 'test', 'abnormal', f));
  const heat = path.join(root, 'heat');
  const s = squid(['score', '--run', learnRun, '--json', '--heatmaps', heat, '--score', 'residual', ...files]);
  assert.equal(s.status, 0, s.stderr);
  const rows = JSON.parse(s.stdout) as { file: string; score: number; label: string; heatmap: string; panels: string }[];
  assert.deepEqual(rows.map((x) => x.file), files);
  for (const row of rows) {
    assert.ok(row.score > 0 && row.score < 1);
    assert.ok(row.label === 'abnormal' || row.label === 'normal');
    assert.ok(existsSync(row.heatmap) && existsSync(row.panels));
  }
  const plain = squid(['score', '--run', learnRun, ...files]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout.trim().split('\n').length, 2);
  assert.match(plain.stdout, /\t[01]\.\d{6}\t(abnormal|normal)/);
});

test('--resume after an interrupted run gives the same result as an uninterrupted run', { skip }, async () => {
  const p = tinyPreset(2, 4, 2); // 2 iterations per epoch, 2 epochs
  const whole = path.join(root, 'whole');
  const parts = path.join(root, 'parts');
  await train({ data: 'digitanatomy', preset: p, out: whole, seed: 11, statsImages: 8 });
  const first = await train({ data: 'digitanatomy', preset: p, out: parts, seed: 11, statsImages: 8, maxIters: 3 });
  assert.equal(first.stoppedBy, 'max-iters');
  assert.equal((await readCheckpoint(parts))?.info.iterationInEpoch, 1); // stopped mid-epoch
  const rest = await train({ out: parts, resume: true, statsImages: 8 });
  assert.equal(rest.iterations, 4);
  const a = await readCheckpoint(whole);
  const b = await readCheckpoint(parts);
  assert.ok(a && b);
  assert.deepEqual(b.info.rng, a.info.rng);
  assert.deepEqual(Object.keys(b.state).sort(), Object.keys(a.state).sort());
  for (const k of Object.keys(a.state)) {
    assert.deepEqual(Array.from(await (b.state[k] as tf.Tensor).data()), Array.from(await (a.state[k] as tf.Tensor).data()), k);
  }
  const la = await readLog(whole);
  const lb = await readLog(parts);
  assert.deepEqual(lb.map((e) => e.losses), la.map((e) => e.losses));
  assert.deepEqual((await readScoring(parts)).discriminator.mean, (await readScoring(whole)).discriminator.mean);
  disposeState(a.state);
  disposeState(b.state);

  // A checkpoint that does not fit the preset is a clear error naming the entry.
  const bad = path.join(root, 'bad');
  cpSync(parts, bad, { recursive: true });
  const cfgFile = runPaths(bad).config;
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as { preset: Preset };
  cfg.preset.model.memorySlots = 40;
  writeFileSync(cfgFile, JSON.stringify(cfg));
  await assert.rejects(train({ out: bad, resume: true, epochs: 3 }), (e: unknown) => {
    assert.ok(e instanceof SquidError);
    assert.match(e.message, /checkpoint does not match preset "tiny": .*queue\/memory" has shape \[9,50,\d+\], expected \[9,40,\d+\]/);
    return true;
  });
  const cli = squid(['train', '--out', parts, '--resume', '--preset', 'digitanatomy']);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /made with preset "tiny" and a different model/);
});

test('--max-minutes stops on wall time, validates, scores and logs the elapsed time; resume counts the time already spent', { skip }, async () => {
  const p = tinyPreset(2, 400, 50); // far more iterations than 3 seconds allow
  const out = path.join(root, 'minutes');
  const val = (await createDigitAnatomy({ size: 48, split: 'test' })).normalBatch(4, new Rng(5));
  const labels = [0, 0, 1, 1]; // labels only need both classes: this checks the flow, not the AUC
  const r = await train({ data: 'digitanatomy', preset: p, out, seed: 2, statsImages: 4, maxMinutes: 0.05, val: { x: val, size: 48, labels } });
  assert.equal(r.stoppedBy, 'max-minutes');
  assert.ok(r.iterations >= 1 && r.iterations < 50 * 200, `${r.iterations} iterations`);
  const log = await readLog(out);
  const last = log.at(-1);
  assert.ok(last?.partial, 'the stopped epoch is logged as partial');
  assert.ok((last?.elapsedSeconds ?? 0) >= 3, `elapsed ${last?.elapsedSeconds}`);
  assert.ok(last?.valAuc && last.valSpread, 'the stop validates');
  assert.ok(existsSync(runPaths(out).best));
  assert.equal(typeof (await readScoring(out)).distillation.mean, 'number');
  const ck = await readCheckpoint(out);
  assert.ok(ck && (ck.info.elapsedSeconds ?? 0) >= 3);
  disposeState(ck.state);
  // the budget is spent: a resumed run with the same budget trains no further
  const again = await train({ out, resume: true, maxMinutes: 0.05, statsImages: 4 });
  assert.equal(again.stoppedBy, 'max-minutes');
  assert.equal(again.iterations, r.iterations);
  // the CLI checks the value
  const cli = squid(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', path.join(root, 'x'), '--max-minutes', '-1']);
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /--max-minutes must be a number > 0; got "-1"/);
  assert.doesNotMatch(cli.stderr, /at .*\.js:\d+/);
});

test('a NaN loss stops the run, names the loss, and keeps the last good checkpoint', { skip }, async () => {
  const p = tinyPreset(2, 2, 3);
  const gen = await createDigitAnatomy({ size: 48 });
  const good = new ArraySource(gen.normalBatch(2, new Rng(1)), 48, 1);
  const poisoned: BatchSource = {
    size: 48,
    description: 'test images that turn to NaN in epoch 2',
    batchesPerEpoch: (bs) => good.batchesPerEpoch(bs),
    batch: (e, b, bs) => (e === 0 ? good.batch(e, b, bs) : new Float32Array(bs * 48 * 48).fill(Number.NaN)),
    sample: (n) => good.sample(n),
  };
  const run = path.join(root, 'nan');
  await assert.rejects(train({ data: poisoned, preset: p, out: run, seed: 2 }), (e: unknown) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.match(e.message, /the discriminator loss became NaN at epoch 2, iteration 2; training stopped\. The last good checkpoint is kept in .*checkpoint/);
    return true;
  });
  const ck = await readCheckpoint(run);
  assert.equal(ck?.info.epoch, 1);
  assert.equal(ck?.info.iteration, 1);
  for (const [k, t] of Object.entries(ck?.state ?? {})) assert.ok(Array.from(t.dataSync()).every(Number.isFinite), `${k} holds a non-finite value`);
  if (ck) disposeState(ck.state);
});
