import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { pooledMegabytes } from '../src/backend/native/storage.js';
import { nativeSkipReason } from './nativeHarness.js';

const skip = await nativeSkipReason();

test('recycled output buffers: dataSync values and tensors sharing storage survive reuse', { skip }, async () => {
  await tf.setBackend('native');
  const n = 64 * 1024;
  const x = tf.range(0, n).reshape([64, 1024]);
  const y = tf.onesLike(x);
  const a = tf.add(x, y); // native output: a recycled buffer
  const seen = a.dataSync();
  const alias = tf.reshape(a, [1024, 64]); // same storage, refcounted
  const before = pooledMegabytes();
  a.dispose();
  assert.equal(pooledMegabytes(), before, 'storage still held by the reshaped tensor is not recycled');
  const b = tf.mul(x, 3); // same length: would reuse a freed buffer
  assert.equal(seen[5], 6);
  assert.equal(alias.dataSync()[5], 6);
  alias.dispose();
  assert.ok(pooledMegabytes() > before, 'the last holder released the buffer to the pool');
  const c = tf.sub(x, y); // reuses it
  assert.equal(pooledMegabytes(), before);
  assert.equal(c.dataSync()[5], 4);
  assert.equal(seen[5], 6, 'an array read before dispose is a copy, untouched by reuse');
  assert.equal(b.dataSync()[5], 15);
  tf.dispose([x, y, b, c]);
});
