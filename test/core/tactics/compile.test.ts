/**
 * compileForInference (src/core/tactics/compile.ts): the one switch for the
 * inference tactics. Compiled and uncompiled forwards are the same math; a
 * compiled model refuses to train; new weights (setState) reach the next
 * score; compiles nest, and releasing the last frees every derived tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { getPreset } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { compileForInference } from '../../../src/core/tactics/compile.js';
import { Rng } from '../../../src/core/util/rng.js';

const preset = getPreset('tiny');
const S = preset.model.imageSize;

function images(n: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * S * S }, () => rng.next()), [n, S, S, 1]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

test('compiled and uncompiled forwards agree; a compiled model refuses to train; setState reaches the next compiled score', async () => {
  await useBackend('auto', { quiet: true });
  const model = createSquid(preset, { seed: 3 });
  const x = images(2, 4);
  const plain = model.reconstruct(x);
  const plainLogits = model.discriminatorLogits(plain);
  const compiled = compileForInference(model);
  const folded = model.reconstruct(x);
  assert.ok(maxAbsDiff(folded, plain) < 1e-5, `reconstruction, compiled vs not: ${maxAbsDiff(folded, plain)}`);
  const foldedLogits = model.discriminatorLogits(folded);
  assert.ok(maxAbsDiff(foldedLogits, plainLogits) < 1e-4, 'discriminator logits, compiled vs not');

  assert.throws(() => model.generatorLoss(x, new Rng(1)), /compiled for inference/);
  assert.throws(() => model.sharedGeneratorForward(x, new Rng(1)), /compiled for inference/);
  assert.throws(() => model.discriminatorLossOn(x, x), /compiled for inference/);

  // new weights while compiled: the next score uses them, not the folded copies of the old ones
  const other = createSquid(preset, { seed: 8 });
  const otherState = other.getState();
  const want = other.reconstruct(x);
  model.setState(otherState);
  const got = model.reconstruct(x);
  assert.ok(maxAbsDiff(got, want) < 1e-5, `after setState: ${maxAbsDiff(got, want)}`);
  compiled.release();

  // released: training works again
  const step = tf.tidy(() => model.generatorLoss(x, new Rng(2)).total.dataSync()[0] as number);
  assert.ok(Number.isFinite(step));
  tf.dispose([x, plain, plainLogits, folded, foldedLogits, want, got, ...Object.values(otherState)]);
  other.dispose();
  model.dispose();
});

test('compiles nest; releasing the last frees the folded weights; a release twice is harmless', async () => {
  await useBackend('auto', { quiet: true });
  const model = createSquid(preset, { seed: 5 });
  const x = images(1, 6);
  const before = tf.memory().numTensors;
  const a = compileForInference(model);
  const b = compileForInference(model);
  tf.dispose(model.reconstruct(x));
  const held = tf.memory().numTensors - before;
  assert.ok(held > 0, 'a compiled forward keeps its folded weights');
  b.release();
  b.release();
  assert.equal(model.inferenceScope.active, true, 'one compile is still held');
  assert.equal(tf.memory().numTensors - before, held, 'the inner release keeps them');
  a.release();
  assert.equal(model.inferenceScope.active, false);
  assert.equal(tf.memory().numTensors, before, 'the last release frees them');
  x.dispose();
  model.dispose();
});
