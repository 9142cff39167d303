import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { liveNativeBuffers } from '../src/backend/native/storage.js';
import { nativeSkipReason } from './nativeHarness.js';

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
