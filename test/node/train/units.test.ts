import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { Adam, cosineLr } from '../../../src/node/train/adam.js';
import { ArraySource, mixSeed } from '../../../src/node/train/sources.js';
import { formatLosses, lineProgress } from '../../../src/node/train/progress.js';

await useBackend('cpu');

/** torch.optim.Adam with weight decay, by hand, for one scalar parameter. */
function torchAdam(p0: number, grads: number[], lr: number, b1: number, b2: number, eps: number, wd: number): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g0, i) => {
    const t = i + 1;
    const g = g0 + wd * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  });
  return p;
}

test('Adam: matches torch.optim.Adam with weight decay; a null gradient leaves a variable alone', () => {
  const w = tf.variable(tf.tensor1d([0.7, -1.3]));
  const u = tf.variable(tf.tensor1d([5]));
  const cfg = { lr: 0.01, beta1: 0.5, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.1 };
  const adam = new Adam([w, u], cfg);
  const gs = [
    [0.3, -0.2],
    [-0.1, 0.4],
    [0.25, 0.05],
  ];
  for (const g of gs) adam.apply([tf.tensor1d(g), null]);
  const got = Array.from(w.dataSync());
  const want = [0, 1].map((j) => torchAdam([0.7, -1.3][j] as number, gs.map((g) => g[j] as number), 0.01, 0.5, 0.999, 1e-7, 0.1));
  got.forEach((v, j) => assert.ok(Math.abs(v - (want[j] as number)) < 1e-6, `w[${j}] ${v} vs ${want[j]}`));
  assert.deepEqual(Array.from(u.dataSync()), [5]);
  assert.equal(adam.steps, 3);
});

test('Adam: saved and restored moments continue exactly like an uninterrupted optimizer', () => {
  const cfg = { lr: 0.05, beta1: 0.5, beta2: 0.999, epsilon: 1e-7, weightDecay: 1e-5 };
  const grads = [[1, 2], [-3, 0.5], [0.2, 0.2], [2, -1]];
  const a = tf.variable(tf.tensor1d([1, 1]));
  const full = new Adam([a], cfg);
  for (const g of grads) full.apply([tf.tensor1d(g)]);
  const b = tf.variable(tf.tensor1d([1, 1]));
  const first = new Adam([b], cfg);
  for (const g of grads.slice(0, 2)) first.apply([tf.tensor1d(g)]);
  const saved = Object.fromEntries(Object.entries(first.getState('opt/')).map(([k, t]) => [k, tf.clone(t)]));
  const second = new Adam([b], cfg);
  second.setState('opt/', saved, first.steps);
  for (const g of grads.slice(2)) second.apply([tf.tensor1d(g)]);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.throws(() => second.setState('opt/', { 'opt/m/0': tf.zeros([3]), 'opt/v/0': tf.zeros([2]) }, 1), /"opt\/m\/0" has shape \[3\], expected \[2\]/);
  assert.throws(() => second.setState('x/', saved, 1), /"x\/m\/0" is missing/);
});

test('cosineLr: torch CosineAnnealingLR values per epoch', () => {
  assert.equal(cosineLr(1e-4, 0, 300, 0.1), 1e-4);
  assert.ok(Math.abs(cosineLr(1e-4, 150, 300, 0.1) - 0.55e-4) < 1e-12);
  assert.ok(Math.abs(cosineLr(1e-4, 300, 300, 0.1) - 1e-5) < 1e-12);
  // The reference note: 200 epochs of a 300-epoch period end near 3.3e-5.
  assert.ok(Math.abs(cosineLr(1e-4, 200, 300, 0.1) - 3.25e-5) < 1e-7);
});

test('ArraySource: each epoch is a fresh permutation, reproducible from (seed, epoch, batch)', () => {
  const n = 10;
  const pixels = Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4));
  const src = new ArraySource(pixels, 2, 7);
  assert.equal(src.batchesPerEpoch(3), 3);
  const epochIds = (e: number) => [0, 1, 2].flatMap((b) => Array.from(src.batch(e, b, 3).filter((_, i) => i % 4 === 0)));
  const e0 = epochIds(0);
  assert.equal(new Set(e0).size, 9);
  assert.deepEqual(epochIds(0), e0);
  assert.deepEqual(new ArraySource(pixels, 2, 7).batch(1, 2, 3), src.batch(1, 2, 3));
  assert.notDeepEqual(epochIds(1), e0);
  assert.notEqual(mixSeed(1, 2, 3), mixSeed(1, 3, 2));
});

test('lineProgress: plain lines with epoch, iteration, ETA and losses; the epoch summary', () => {
  const out: string[] = [];
  const p = lineProgress((s) => out.push(s));
  p.startEpoch(1, 5, 0, 4);
  p.update(1, { discriminator: 0.5 });
  p.update(4, { discriminator: 1e-5, reconstruction: 0.25 });
  p.endEpoch('epoch 2/5: done');
  assert.equal(out.length, 2); // intermediate lines are at least 20 s apart; the last iteration always prints
  assert.match(out[0] as string, /^epoch 2\/5 it 4\/4 \([\d.]+ s\/it, ETA epoch 0 s\) discriminator 1\.00e-5 reconstruction 0\.2500\n$/);
  assert.equal(out[1], 'epoch 2/5: done\n');
  assert.equal(formatLosses({ a: 0 }), 'a 0.0000');
  // the steps between epochs (validation, the final statistics) report through the same lines
  const v = p.tasks('validating on 200 images', 200);
  v.tick(200);
  v.end();
  assert.deepEqual(out.slice(2).map((l) => l.replace(/in [\d.]+ s/, 'in T s')), ['validating on 200 images...\n', 'validating on 200 images: 200/200 in T s\n']);
});

test('lineProgress: the run ETA counts to --max-iters or the schedule end, and stops at --max-minutes', () => {
  let now = 0;
  const lines = (run: { iterations: number; seconds?: number }): string => {
    const out: string[] = [];
    const p = lineProgress((s) => out.push(s), () => now);
    now = 0;
    p.startEpoch(0, 10, 0, 10, run);
    now = 10_000; // 10 iterations in 10 s: 1 s each
    p.update(10, { d: 1 });
    return out[0] as string;
  };
  assert.match(lines({ iterations: 50 }), /ETA epoch 0 s, run 40 s\)/, '40 iterations left after this epoch');
  assert.match(lines({ iterations: 50, seconds: 25 }), /run 15 s\)/, '--max-minutes ends it first');
  assert.match(lines({ iterations: 12, seconds: 600 }), /run 2 s\)/, '--max-iters ends it first');
});
