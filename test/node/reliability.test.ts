/**
 * Fault injection: runs and inputs never lose work or lie.
 * - a run folder is never overwritten by accident, and one process at a time holds it;
 * - kill -9 at random points of a training, and at each rename point of a
 *   checkpoint replacement, leaves one complete checkpoint that --resume finds;
 * - a signal in the middle of an epoch stops within seconds with a mid-epoch checkpoint;
 * - damaged weights, checkpoints and logs are detected and named, never scored;
 * - a full disk names the file and keeps the last good checkpoint;
 * - flags out of range are usage errors.
 * Needs the native backend for the trainings (as train.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/node/backend/select.js';
import { getPreset, type Preset } from '../../src/core/squid/presets.js';
import { train } from '../../src/node/api.js';
import { readCheckpoint, readLog, readModelDir, runPaths, writeCheckpoint, type CheckpointJson } from '../../src/node/io/runDir.js';
import { disposeState } from '../../src/core/io/modelState.js';
import { lockRun } from '../../src/node/io/runLock.js';
import { Rng } from '../../src/core/util/rng.js';
import { SquidError } from '../../src/core/util/errors.js';
import { REPO } from '../repo.js';
import * as ort from 'onnxruntime-node';
import { loadImage } from '../../src/node/image/load.js';

const info = await useBackend('auto', { quiet: true });
const skip = info.name === 'cpu' ? `native backend unavailable (${info.fallbackReason ?? 'cpu requested'}); tfjs-cpu training is too slow` : false;
if (skip) process.stdout.write(`# reliability trainings skipped: ${skip}\n`);

const root = mkdtempSync(path.join(tmpdir(), 'squid-faults-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const STACK = /at .*\.js:\d+/;

function squid(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'squid.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A tiny-preset override file: `perEpoch` iterations of batch 2 per epoch. */
function overrides(name: string, perEpoch: number, epochs: number): string {
  const file = path.join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify({ train: { batchSize: 2, imagesPerEpoch: 2 * perEpoch, epochs } }));
  return file;
}

function tinyPreset(perEpoch: number, epochs: number): Preset {
  const p = getPreset('tiny');
  p.train.batchSize = 2;
  p.train.imagesPerEpoch = 2 * perEpoch;
  p.train.epochs = epochs;
  return p;
}

/** A small, real checkpoint state (its content does not matter here). */
function smallState(v: number): Record<string, tf.Tensor> {
  return { 'model/w': tf.fill([4, 3], v), 'model/b': tf.fill([3], v + 1) };
}

const INFO: Omit<CheckpointJson, 'manifest' | 'format' | 'formatVersion'> = {
  presetName: 'tiny',
  epoch: 0,
  iterationInEpoch: 0,
  iteration: 0,
  rng: [1, 2, 3, 4],
  optimizerSteps: { generator: 0, discriminator: 0 },
  bestValAuc: null,
  bestEpoch: null,
  epochLossSums: {},
  epochLossCounts: {},
  epochSeconds: 0,
};

async function checkpointValue(run: string): Promise<number | null> {
  const ck = await readCheckpoint(run);
  if (!ck) return null;
  const v = (await (ck.state['model/w'] as tf.Tensor).data())[0] as number;
  disposeState(ck.state);
  return v;
}

test('each crash point of a checkpoint replacement leaves one complete checkpoint, and the next write cleans up', async () => {
  const run = path.join(root, 'renames');
  const ck = runPaths(run).checkpoint;
  const old = path.join(run, '.checkpoint.old');
  await writeCheckpoint(run, INFO, smallState(1)); // checkpoint A
  // the states a crash leaves between the steps of a replacement by B:
  const tmpB = async (): Promise<string> => {
    const scratch = path.join(root, 'scratch-b');
    rmSync(scratch, { recursive: true, force: true });
    await writeCheckpoint(scratch, INFO, smallState(2));
    const t = path.join(run, `.checkpoint.tmp-crash${Math.random().toString(36).slice(2, 8)}`);
    cpSync(runPaths(scratch).checkpoint, t, { recursive: true });
    return t;
  };
  const points: { name: string; make: () => Promise<void>; reads: number }[] = [
    { name: 'temporary folder written, nothing renamed', make: async () => void (await tmpB()), reads: 1 },
    {
      name: 'checkpoint renamed to .old, temporary folder not yet in place',
      make: async () => {
        await tmpB();
        rmSync(old, { recursive: true, force: true });
        cpSync(ck, old, { recursive: true });
        rmSync(ck, { recursive: true });
      },
      reads: 1,
    },
    {
      name: 'new checkpoint in place, .old not yet removed',
      make: async () => {
        cpSync(ck, old, { recursive: true });
        const t = await tmpB();
        rmSync(ck, { recursive: true });
        cpSync(t, ck, { recursive: true });
        rmSync(t, { recursive: true });
      },
      reads: 2,
    },
  ];
  for (const p of points) {
    rmSync(run, { recursive: true, force: true });
    await writeCheckpoint(run, INFO, smallState(1));
    await p.make();
    assert.equal(await checkpointValue(run), p.reads, `${p.name}: the surviving checkpoint`);
    // a second crash right after the next replacement starts must not lose it (D3)
    await writeCheckpoint(run, INFO, smallState(3));
    assert.equal(await checkpointValue(run), 3, p.name);
    const left = readdirSync(run).filter((n) => n.startsWith('.checkpoint'));
    assert.deepEqual(left, [], `${p.name}: leftovers ${left.join(', ')}`);
  }
});

test('a checkpoint with a damaged state, a malformed field or a wrong dtype is named, never loaded', async () => {
  const run = path.join(root, 'damaged');
  await writeCheckpoint(run, INFO, smallState(1));
  const bin = path.join(runPaths(run).checkpoint, 'state.bin');
  const bytes = readFileSync(bin);
  bytes.fill(0xff, 0, 8);
  writeFileSync(bin, bytes);
  await assert.rejects(readCheckpoint(run), /state\.bin: checksum mismatch: the file is damaged/);

  await writeCheckpoint(run, INFO, smallState(1));
  const json = path.join(runPaths(run).checkpoint, 'state.json');
  const doc = JSON.parse(readFileSync(json, 'utf8')) as CheckpointJson;
  writeFileSync(json, JSON.stringify({ ...doc, rng: 'abc' }));
  await assert.rejects(readCheckpoint(run), /state\.json: malformed field "rng"/);
  writeFileSync(json, JSON.stringify({ ...doc, epoch: -1 }));
  await assert.rejects(readCheckpoint(run), /state\.json: malformed field "epoch"/);
  writeFileSync(json, JSON.stringify({ ...doc, stateSha256: undefined, manifest: doc.manifest.map((m) => ({ ...m, dtype: 'complex64' })) }));
  await assert.rejects(readCheckpoint(run), /dtype complex64/);
});

test('the run lock: a live holder is refused by name, a stale one is taken over with a note', async () => {
  const run = path.join(root, 'locked');
  const release = await lockRun(run, () => {});
  await assert.rejects(lockRun(run, () => {}), (e: unknown) => {
    assert.ok(e instanceof SquidError);
    assert.match(e.message, new RegExp(`in use by process ${process.pid}`));
    return true;
  });
  const cli = squid(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', run]);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, new RegExp(`in use by process ${process.pid}`));
  assert.doesNotMatch(cli.stderr, STACK);
  await release();
  assert.ok(!existsSync(path.join(run, '.lock')));
  // a lock left by a process that is gone
  const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
  writeFileSync(path.join(run, '.lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), since: 'then' }));
  const notes: string[] = [];
  const again = await lockRun(run, (m) => notes.push(m));
  assert.match(notes.join('\n'), new RegExp(`taking over the lock of process ${dead}, which is no longer running`));
  await again();
});

test('a run folder is refused without --resume or --overwrite; --overwrite starts again', { skip }, async () => {
  const run = path.join(root, 'existing');
  const cfg = overrides('existing', 2, 1);
  const args = ['train', '--data', 'digitanatomy', '--preset', 'tiny', '--config', cfg, '--val', 'none', '--out', run];
  const first = squid(args);
  assert.equal(first.status, 0, first.stderr);
  const before = readFileSync(runPaths(run).log, 'utf8');
  const refused = squid(args);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /already holds a run \(config\.json, log\.jsonl, checkpoint, best, scoring\.json\): continue it with --resume, or start again with --overwrite/);
  assert.doesNotMatch(refused.stderr, STACK);
  assert.equal(readFileSync(runPaths(run).log, 'utf8'), before, 'nothing was touched');
  const over = squid([...args, '--overwrite', '--seed', '4']);
  assert.equal(over.status, 0, over.stderr);
  assert.equal((await readLog(run)).length, 1, 'a fresh log');
  // a resumed run keeps its data and settings
  const other = squid(['train', '--out', run, '--resume', '--data', path.join(root, 'elsewhere')]);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /the run trains on digitanatomy; a resumed run cannot change its data/);
  const withConfig = squid(['train', '--out', run, '--resume', '--config', cfg]);
  assert.equal(withConfig.status, 1);
  assert.match(withConfig.stderr, /--config cannot change a resumed run/);
});

/** Starts a CLI training; resolves when `ready(run)` holds (polled). */
function startTraining(args: string[]) {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'squid.js'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, exited, stderr: () => stderr };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 at random points of a training: --resume finds a complete checkpoint and finishes', { skip }, async () => {
  const rng = new Rng(2026);
  const cfg = overrides('kill9', 6, 4);
  for (let k = 0; k < 3; k++) {
    const run = path.join(root, `kill9-${k}`);
    const t = startTraining(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--config', cfg, '--val', 'none', '--out', run]);
    await until(() => existsSync(runPaths(run).checkpoint), 120_000);
    await new Promise((r) => setTimeout(r, 50 + rng.int(1500)));
    t.child.kill('SIGKILL');
    await t.exited;
    const resumed = squid(['train', '--out', run, '--resume']);
    assert.equal(resumed.status, 0, `kill ${k}: ${resumed.stderr}`);
    assert.match(resumed.stdout, /stopped by: epochs; 24 iterations, 4 epochs complete/);
    assert.deepEqual(readdirSync(run).filter((n) => n.includes('.tmp-') || n.endsWith('.old')), []);
    assert.ok(!existsSync(path.join(run, '.lock')));
  }
});

test('SIGTERM in the middle of an epoch stops within seconds with a mid-epoch checkpoint; a second signal does not cut the save', { skip }, async () => {
  const run = path.join(root, 'sigterm');
  const cfg = overrides('sigterm', 2000, 1); // one long epoch
  const t = startTraining(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--config', cfg, '--val', 'digitanatomy', '--progress', 'lines', '--out', run]);
  // the loop starts right after this line; a few seconds in, it is well inside the 2,000-iteration epoch
  await until(() => /training preset "tiny"/.test(t.stderr()), 120_000);
  await new Promise((r) => setTimeout(r, 5000));
  const sent = performance.now();
  t.child.kill('SIGTERM');
  t.child.kill('SIGTERM');
  const end = await t.exited;
  assert.equal(end.code, 143, t.stderr());
  assert.ok(end.at - sent < 5000, `stopped ${(end.at - sent).toFixed(0)} ms after the signal`);
  assert.match(t.stderr(), /SIGTERM: stopping after this iteration and saving a checkpoint/);
  const ck = await readCheckpoint(run);
  assert.ok(ck, 'a checkpoint was written');
  assert.equal(ck.info.epoch, 0);
  assert.ok(ck.info.iterationInEpoch > 0 && ck.info.iterationInEpoch < 2000, `${ck.info.iterationInEpoch} iterations`);
  disposeState(ck.state);
  assert.ok(!existsSync(path.join(run, '.lock')), 'the lock is released');
  const early = squid(['score', '--run', run, 'whatever.png']);
  assert.equal(early.status, 1);
  assert.match(early.stderr, /the training was interrupted before its best model \(best\/\) was written; finish it with: squid train --out .* --resume/);
});

test('damaged weights are detected in the CLI and the export path, never scored', { skip }, async () => {
  const run = path.join(root, 'weights');
  const cfg = overrides('weights', 2, 1);
  const made = squid(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--config', cfg, '--val', 'none', '--out', run]);
  assert.equal(made.status, 0, made.stderr);
  const exp = path.join(root, 'weights-export');
  assert.equal(squid(['export', '--run', run, '--out', exp]).status, 0);
  const img = path.join(root, 'one.png');
  const gen = squid(['digitanatomy', '--out', path.join(root, 'one'), '--size', '48', '--train', '0', '--normal', '1', '--abnormal', '0']);
  assert.equal(gen.status, 0, gen.stderr);
  const pngs = readdirSync(path.join(root, 'one'), { recursive: true }).map(String).filter((f) => f.endsWith('.png') && !f.includes('samples'));
  cpSync(path.join(root, 'one', pngs[0] as string), img);
  // an export folder scores as its run does
  const fromRun = squid(['score', '--run', run, img]);
  const fromExport = squid(['score', '--run', exp, img]);
  assert.equal(fromRun.status, 0, fromRun.stderr);
  assert.equal(fromExport.stdout, fromRun.stdout);
  // the ONNX export scores the file as squid score does (onnxruntime-node; the file loaded as squid loads it)
  const onnxDir = path.join(root, 'weights-onnx');
  const onnx = squid(['export', '--run', run, '--out', onnxDir, '--format', 'onnx', '--json']);
  assert.equal(onnx.status, 0, onnx.stderr);
  const session = await ort.InferenceSession.create((JSON.parse(onnx.stdout) as { file: string }).file);
  const out = await session.run({ image: new ort.Tensor('float32', await loadImage(img, { size: 48 }), [1, 48, 48, 1]) });
  await session.release();
  const cli = (JSON.parse(squid(['score', '--run', run, '--json', img]).stdout) as { score: number; label: string }[])[0];
  assert.ok(cli && Math.abs(((out.score as ort.Tensor).data[0] as number) - cli.score) < 1e-4, `onnxruntime ${(out.score as ort.Tensor).data[0]}, squid score ${cli?.score}`);
  assert.equal((out.abnormal as ort.Tensor).data[0] ? 'abnormal' : 'normal', cli.label);
  const q = squid(['export', '--run', run, '--out', onnxDir, '--format', 'onnx', '--quantize', 'float16']);
  assert.equal(q.status, 1);
  assert.match(q.stderr, /--quantize applies to the tfjs format/);
  // a folder stands for its image files
  const folder = path.join(root, 'imgs');
  mkdirSync(folder);
  cpSync(img, path.join(folder, 'b.png'));
  cpSync(img, path.join(folder, 'a.png'));
  const fromFolder = squid(['score', '--run', run, folder]);
  assert.equal(fromFolder.status, 0, fromFolder.stderr);
  assert.deepEqual(
    fromFolder.stdout.trim().split('\n').map((l) => path.basename(l.split('\t')[0] as string)),
    ['a.png', 'b.png'],
  );
  assert.match(fromFolder.stdout, /\t(abnormal|normal)\n/);
  const shard = (JSON.parse(readFileSync(path.join(exp, 'squid.json'), 'utf8')) as { files: string[] }).files.find((f) => f.endsWith('.bin')) as string;
  for (const w of [path.join(runPaths(run).best, 'weights.bin'), path.join(exp, shard)]) {
    const bytes = readFileSync(w);
    bytes.fill(0xff, 64, 128);
    writeFileSync(w, bytes);
  }
  const r = squid(['score', '--run', run, img]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /weights\.bin: checksum mismatch: the file is damaged/);
  assert.doesNotMatch(r.stderr + r.stdout, /normal|anomaly/i);
  assert.doesNotMatch(r.stderr, STACK);
  await assert.rejects(readModelDir(runPaths(run).best), /checksum mismatch/);
  const { loadExport } = await import('../../src/core/export/loadExport.js');
  const { createSquid } = await import('../../src/core/model/squid.js');
  await assert.rejects(
    loadExport(async (name) => {
      const b = readFileSync(path.join(exp, name));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }, (p) => createSquid(p)),
    (e: Error) => e.message.startsWith(`${shard}: checksum mismatch`),
  );
});

test('a log line cut off by a crash is skipped with a warning by --resume and eval', { skip }, async () => {
  const run = path.join(root, 'cutlog');
  const p = tinyPreset(2, 2);
  await train({ data: 'digitanatomy', preset: p, out: run, seed: 1, statsImages: 4, maxIters: 3, val: null });
  appendFileSync(runPaths(run).log, '{"epoch":1,"iterations":4,"loss');
  const warned: string[] = [];
  assert.equal((await readLog(run, (m) => warned.push(m))).length, 2);
  assert.match(warned.join(''), /log\.jsonl: line 3 was cut off \(an interrupted write\); it is skipped/);
  const resumed = squid(['train', '--out', run, '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /line 3 was cut off/);
  assert.equal((await readLog(run)).length, 2);
  // a broken line that is not the last is an error naming the line
  const lines = readFileSync(runPaths(run).log, 'utf8').split('\n');
  writeFileSync(runPaths(run).log, ['{oops', ...lines].join('\n'));
  await assert.rejects(readLog(run), /log\.jsonl: line 1 is not valid JSON/);
});

test('a full disk names the file and keeps the last good checkpoint (tmpfs)', async (t) => {
  const mnt = path.join(root, 'small-disk');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${(m.stderr || m.error?.message || '').trim()}); needs root`);
    return;
  }
  try {
    const run = path.join(mnt, 'run');
    await writeCheckpoint(run, INFO, smallState(1));
    const big = { 'model/w': tf.fill([200, 500], 2) as tf.Tensor, 'model/b': tf.fill([3], 3) as tf.Tensor }; // 400 kB
    await assert.rejects(writeCheckpoint(run, INFO, big), (e: unknown) => {
      assert.ok(e instanceof SquidError);
      assert.match(e.message, /checkpoint\/state\.bin: no space left on the device; the previous copy is kept/);
      return true;
    });
    assert.equal(await checkpointValue(run), 1);
    assert.deepEqual(readdirSync(run).filter((n) => n.startsWith('.')), [], 'no partial folder is left');
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('numeric flags out of range are usage errors (exit 2, no stack)', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', path.join(root, 'f'), '--epochs', '0'], /--epochs/],
    [['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', path.join(root, 'f'), '--batch-size', '-1'], /--batch-size/],
    [['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', path.join(root, 'f'), '--seed', '1.5'], /--seed/],
    [['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', path.join(root, 'f'), '--max-iters', '-3'], /--max-iters/],
    [['serve-app', '--port', '-5'], /--port/],
  ];
  for (const [args, msg] of cases) {
    const r = squid(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, STACK);
  }
});

test('paths that are files, dangling or looping links and a busy port are one clear line each', async () => {
  const file = path.join(root, 'a-file');
  writeFileSync(file, 'x');
  const asOut = squid(['train', '--data', 'digitanatomy', '--preset', 'tiny', '--out', file]);
  assert.equal(asOut.status, 1);
  assert.match(asOut.stderr, /a-file: exists already and is not a folder/);
  assert.doesNotMatch(asOut.stderr, STACK);

  const set = path.join(root, 'linked-set');
  mkdirSync(path.join(set, 'normal'), { recursive: true });
  const { symlinkSync } = await import('node:fs');
  symlinkSync(path.join(root, 'nowhere'), path.join(set, 'broken'));
  const broken = squid(['eval', '--run', path.join(root, 'no-run'), '--data', set, '--out', path.join(root, 'ev')]);
  assert.equal(broken.status, 1);
  assert.doesNotMatch(broken.stderr, STACK);
  const { readLabelledFolder } = await import('../../src/node/data/folders.js');
  await assert.rejects(readLabelledFolder(set), /broken: a symbolic link whose target is missing/);
  rmSync(path.join(set, 'broken'));
  symlinkSync('loop-b', path.join(set, 'loop-a'));
  symlinkSync('loop-a', path.join(set, 'loop-b'));
  await assert.rejects(readLabelledFolder(set), /loop-a: a symbolic link that loops/);

  const app = path.join(root, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'index.html'), '<html></html>');
  const net = await import('node:net');
  const busy = net.createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = squid(['serve-app', '--dir', app, '--port', String(port)]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use; choose another with --port`));
    assert.doesNotMatch(r.stderr, STACK);
  } finally {
    busy.close();
  }
});

test('a score does not depend on its batch neighbours beyond float rounding (1e-5 relative; native kernels sum in batch-dependent order)', async () => {
  const { createSquid } = await import('../../src/core/model/squid.js');
  const { scoreImages, rawOf } = await import('../../src/core/score/scorer.js');
  const { createDigitAnatomy } = await import('../../src/node/digitanatomy/index.js');
  const p = getPreset('tiny');
  const model = createSquid(p, { seed: 3 });
  const gen = await createDigitAnatomy({ size: 48, split: 'test' });
  const x = gen.normalBatch(5, new Rng(4));
  const together = await scoreImages(model, x, 48, { batchSize: 5 });
  const alone = await scoreImages(model, x, 48, { batchSize: 1 });
  for (const k of model.scoreKinds) {
    const a = rawOf(together, k);
    const b = rawOf(alone, k);
    for (let i = 0; i < 5; i++) {
      const tol = 1e-5 * Math.max(1, Math.abs(b[i]!));
      assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${k}, image ${i}: ${a[i]} in a batch of 5, ${b[i]} alone`);
    }
  }
  model.dispose();
});

test('a checkpoint holding NaN (with a valid checksum) is named as damaged, not blamed on the learning rate', { skip }, async () => {
  const run = path.join(root, 'nan-checkpoint');
  await train({ data: 'digitanatomy', preset: tinyPreset(2, 2), out: run, seed: 1, statsImages: 4, maxIters: 1, val: null });
  const ck = await readCheckpoint(run);
  assert.ok(ck);
  const name = Object.keys(ck.state).find((k) => k.startsWith('model/generator/') && ck.state[k]?.dtype === 'float32') as string;
  const values = (ck.state[name] as tf.Tensor).dataSync().slice();
  values[0] = Number.NaN;
  (ck.state[name] as tf.Tensor).dispose();
  ck.state[name] = tf.tensor(values, (ck.state[name] as tf.Tensor).shape);
  const { manifest: _m, format: _f, formatVersion: _v, stateSha256: _s, ...info } = ck.info;
  await writeCheckpoint(run, info, ck.state);
  disposeState(ck.state);
  await assert.rejects(train({ out: run, resume: true }), new RegExp(`"${name}" holds NaN or infinite values; the checkpoint is damaged`));
});

test('on a terminal, a run that stops at an epoch boundary exits (no progress bar left running)', { skip }, (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('util-linux `script` (a pseudo-terminal) is not installed');
    return;
  }
  const run = path.join(root, 'tty');
  const cfg = overrides('tty', 4, 3); // 4 iterations an epoch: --max-iters 4 stops at the first boundary
  const cmd = `${process.execPath} ${path.join(REPO, 'bin', 'squid.js')} train --data digitanatomy --val none --preset tiny --config ${cfg} --out ${run} --max-iters 4`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.signal, null, 'the process hung on its progress bar and was killed');
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /stopped by: max-iters; 4 iterations, 1 epochs complete/);
});

test('squid --version prints the package version; a Detector given a file name says to load it first', async () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const v = squid(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), pkg.version);
  const { Detector } = await import('../../src/core/score/detector.js');
  const { createSquid } = await import('../../src/core/model/squid.js');
  const stats = { mean: 0, std: 1, threshold: 0.5, policy: 'fixed' };
  const d = new Detector(createSquid(getPreset('tiny'), { seed: 1 }), {
    discriminator: stats,
    residual: stats,
    input: stats,
    distillation: stats,
    trainImages: 1,
    date: '',
  });
  await assert.rejects(d.score('scan.png' as unknown as Float32Array), (e: unknown) => e instanceof TypeError && /not file names \("scan\.png"\): load the image first/.test(e.message));
  d.dispose();
});

test('an image over the decoder pixel limit is named with its size problem, not called corrupt', async () => {
  const { loadImage } = await import('../../src/node/image/load.js');
  // a PNG whose header says 20000 x 20000 (400 M pixels): the limit is hit before any pixel is read
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = (crcTable[(c ^ x) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20000, 0);
  ihdr.writeUInt32BE(20000, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  const file = path.join(root, 'huge.png');
  const { deflateSync } = await import('node:zlib');
  const idat = chunk('IDAT', deflateSync(Buffer.alloc(20001))); // one row: enough for the decoder to read the header
  writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), idat, chunk('IEND', Buffer.alloc(0))]));
  await assert.rejects(loadImage(file, { size: 48 }), (e: unknown) => {
    assert.match(String((e as Error).message), /huge\.png: cannot load image: larger than the image decoder's limit of 268402689 pixels/);
    assert.doesNotMatch(String((e as Error).message), /corrupt/);
    return true;
  });
});
