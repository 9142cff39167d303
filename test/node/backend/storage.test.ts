import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { coldMegabytes, liveNativeBuffers } from '../../../src/node/backend/native/storage.js';
import { nativeSkipReason } from './nativeHarness.js';
import { hintWorkload } from '../../../src/core/ops/hints.js';

const skip = await nativeSkipReason();

test('native output buffers: recycled when the last holder is disposed; dataSync copies and shared storage stay valid', { skip }, async () => {
  await tf.setBackend('native');
  const n = 64 * 1024;
  const x = tf.range(0, n).reshape([64, 1024]);
  const y = tf.onesLike(x);
  const a = tf.add(x, y); // native output on the C heap
  const seen = a.dataSync();
  const raw = (tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(a.dataId).values;
  const alias = tf.reshape(a, [1024, 64]); // same storage, refcounted
  const before = liveNativeBuffers();
  a.dispose();
  assert.equal(liveNativeBuffers(), before, 'storage still held by the reshaped tensor is not freed');
  assert.equal(raw.length, n);
  assert.equal(raw[5], 6, 'still readable through the alias');
  const b = tf.mul(x, 3);
  assert.equal(seen[5], 6);
  assert.equal(alias.dataSync()[5], 6);
  alias.dispose(); // the last holder: a's block goes to the free list
  const c = tf.sub(x, y); // same length: reuses it
  assert.equal(liveNativeBuffers(), before + 1, 'c reused a\'s block instead of allocating (b holds one more)');
  assert.equal(c.dataSync()[5], 4);
  assert.equal(seen[5], 6, 'an array read before dispose is a copy, untouched by reuse');
  assert.equal(raw[5], 4, 'the raw storage was reused by c');
  assert.equal(b.dataSync()[5], 15);
  tf.dispose([x, y, b, c]);
});

test('free blocks above the resident bound give their pages back and are correct when reused', { skip }, async () => {
  if (process.env.SQUID_POOL_RESIDENT === '0') return;
  await tf.setBackend('native');
  const n = 2 * 1024 * 1024; // 8 MB blocks
  const base = tf.zeros([n]);
  const baseB = tf.zeros([n + 16]); // another length: cannot reuse the first length's blocks
  const make = (src: tf.Tensor, k: number) => Array.from({ length: k }, (_, i) => tf.add(src, i + 1)); // native outputs
  const first = make(base, 16); // 128 MB held: the most held so far
  tf.dispose(first); // 128 MB free, nothing held: within the bound
  const cold0 = coldMegabytes();
  const rss0 = process.memoryUsage().rss;
  const second = make(baseB, 16); // 128 MB held again, while 128 MB of the other length wait: over the bound by ~64 MB
  const given = coldMegabytes() - cold0;
  assert.ok(given >= 48, `free blocks over the bound gave their pages back (${given.toFixed(0)} MB)`);
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grown < 128 - 32, `resident memory grew by ${grown.toFixed(0)} MB, less than the 128 MB allocated`);
  tf.dispose(second);
  // the first length again: all 16 free blocks of it are reused (no new block), the
  // ones whose pages were given back included, and hold what the kernel wrote
  const blocks = liveNativeBuffers();
  const third = make(base, 16);
  assert.equal(liveNativeBuffers(), blocks, 'every output reused a free block');
  third.forEach((t, i) => {
    const v = t.dataSync();
    assert.equal(v[0], i + 1);
    assert.equal(v[n - 1], i + 1);
    assert.equal(v[n >> 1], i + 1);
  });
  tf.dispose([...third, base, baseB]);
});

test('a free block up to twice as long serves an output of another length, and returns whole', { skip }, async () => {
  if (process.env.SQUID_POOL_FIT === '0') return;
  await tf.setBackend('native');
  const n = 300_001; // a length no other test uses
  const base = tf.zeros([n]);
  const a = tf.add(base, 1);
  const raw = (tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(a.dataId).values;
  a.dispose(); // its block waits in the free list
  const blocks = liveNativeBuffers();
  const m = 200_003; // shorter, more than half: served by a's block
  const small = tf.zeros([m]);
  const b = tf.add(small, 2);
  assert.equal(liveNativeBuffers(), blocks, 'no new block for the shorter output');
  const v = b.dataSync();
  assert.equal(v.length, m);
  assert.equal(v[m - 1], 2);
  assert.equal(raw[m - 1], 2, 'written into the freed block');
  b.dispose(); // the whole block returns to the list of its own length
  const c = tf.add(base, 3);
  assert.equal(liveNativeBuffers(), blocks, 'the full length reuses the whole block again');
  assert.equal(c.dataSync()[n - 1], 3);
  c.dispose();
  const tiny = tf.zeros([n >> 2]); // under half: a new block
  const d = tf.add(tiny, 4);
  assert.equal(liveNativeBuffers(), blocks + 1, 'a block more than twice as long is not used');
  tf.dispose([base, small, tiny, d]);
});

test('the inference workload hint turns the resident bound off, the training hint back on', { skip }, async () => {
  if (process.env.SQUID_POOL_RESIDENT === '0') return;
  await tf.setBackend('native');
  const round = (len: number) => {
    const src = tf.zeros([len]);
    const held = Array.from({ length: 24 }, (_, i) => tf.add(src, i)); // 24 x 8 MB: a new most-held
    tf.dispose(held); // all free: within the bound
    const other = tf.zeros([len + 8]);
    const again = Array.from({ length: 24 }, (_, i) => tf.add(other, i)); // as much again, another length
    tf.dispose([...again, src, other]);
  };
  try {
    hintWorkload('inference');
    const before = coldMegabytes();
    round(2 * 1024 * 1024 + 64);
    assert.equal(coldMegabytes(), before, 'no pages given back while inferring');
    hintWorkload('training');
    round(2 * 1024 * 1024 + 128);
    assert.ok(coldMegabytes() > before, 'pages given back again while training');
  } finally {
    hintWorkload('training');
  }
});
