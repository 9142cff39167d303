import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { perImageNorm, perImageNormOps } from '../../../src/core/ops/perImageNorm/op.js';
import { LAYER_NORM } from '../../../src/core/ops/layerNorm/op.js';
import { PER_IMAGE_NORM } from '../../../src/core/ops/perImageNorm/op.js';
import { layerNorm, layerNormOps } from '../../../src/core/ops/layerNorm/op.js';
import { nativeCallCounts } from '../../../src/node/backend/nativeBackend.js';
import { assertClose, assertRanNatively, compareBackends, nativeSkipReason, randomInput, runOn } from './nativeHarness.js';

const skip = await nativeSkipReason();

test('native FusedBatchNorm matches tfjs-cpu in training form (batch moments), forward and gradients', { skip }, async () => {
  const shapes = [[2, 5, 7, 3], [1, 3, 3, 8], [16, 8, 8, 32]];
  for (const [i, shape] of shapes.entries()) {
    const rng = new Rng(700 + i);
    const c = shape[3]!;
    const inputs = { x: randomInput(rng, shape, -1, 3), gamma: randomInput(rng, [c], 0.5, 1.5), beta: randomInput(rng, [c]) };
    await compareBackends(`batchNorm train ${JSON.stringify(shape)}`, inputs, (t) => {
      const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
      };
      const x = t.x as tf.Tensor;
      const y = f(x, t.gamma as tf.Tensor, t.beta as tf.Tensor);
      const w = tf.sin(tf.range(0, y.size).reshape(y.shape));
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), w)))(
        [x, t.gamma as tf.Tensor, t.beta as tf.Tensor]);
      return [y, ...grads];
    });
    await compareBackends(`batchNorm running stats ${JSON.stringify(shape)}`, {
      ...inputs, mean: randomInput(rng, [c]), variance: randomInput(rng, [c], 0.5, 2),
    }, (t) => tf.batchNorm4d(t.x as tf.Tensor4D, t.mean as tf.Tensor1D, t.variance as tf.Tensor1D, t.beta as tf.Tensor1D, t.gamma as tf.Tensor1D, 1e-5));
  }
  await compareBackends('batchNorm without offset/scale, full-shape mean', { x: randomInput(new Rng(710), [3, 4]), m: randomInput(new Rng(711), [3, 4]) }, (t) =>
    tf.batchNorm(t.x as tf.Tensor, t.m as tf.Tensor, tf.onesLike(t.m as tf.Tensor)),
  );
  assertRanNatively(['FusedBatchNorm'], 'batchNorm');
});

test('native Softmax matches tfjs-cpu, forward and gradients', { skip }, async () => {
  for (const [i, shape] of [[5], [4, 7], [3, 2, 201], [64, 200]].entries()) {
    await compareBackends(`softmax ${JSON.stringify(shape)}`, { x: randomInput(new Rng(720 + i), shape, -5, 5) }, (t) => {
      const x = t.x as tf.Tensor;
      const y = tf.softmax(x);
      const w = tf.sin(tf.range(0, y.size).reshape(y.shape));
      return [y, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softmax(v), w)))(x)];
    });
  }
  assertRanNatively(['Softmax'], 'softmax');
});

test('SquidPerImageNorm (each image by its own statistics) matches tfjs-cpu and the tfjs-op composite; under a tape it runs the ops', { skip }, async () => {
  const shapes = [[1, 5, 7, 3], [3, 4, 4, 16], [2, 9, 6, 5]];
  for (const [i, shape] of shapes.entries()) {
    const rng = new Rng(720 + i);
    const c = shape[3]!;
    // per-image offsets, so statistics shared over the batch would be wrong
    const x = randomInput(rng, shape, -1, 3);
    for (let j = 0; j < x.data.length; j++) x.data[j]! += 2 * Math.floor(j / (x.data.length / shape[0]!));
    const inputs = { x, gamma: randomInput(rng, [c], 0.5, 1.5), beta: randomInput(rng, [c]) };
    const norm = (t: Record<string, tf.Tensor>) => perImageNorm(t.x as tf.Tensor4D, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, 1e-5);
    await compareBackends(`per-image norm ${JSON.stringify(shape)}`, inputs, norm);
    const [kernel] = await runOn('cpu', inputs, norm);
    const [ops] = await runOn('cpu', inputs, (t) => perImageNormOps(t.x as tf.Tensor4D, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, 1e-5));
    assertClose(kernel!.data, ops!.data, 1e-5, `cpu kernel vs ops ${JSON.stringify(shape)}`);
  }
  assertRanNatively([PER_IMAGE_NORM], 'per-image norm');
  // differentiable through the ops (Grad-CAM takes gradients in this mode)
  await compareBackends('per-image norm gradient', { x: randomInput(new Rng(730), [2, 3, 3, 4]), g: randomInput(new Rng(731), [4], 0.5, 1.5) }, (t) =>
    tf.grads((x: tf.Tensor, g: tf.Tensor) => {
      const y = perImageNorm(x as tf.Tensor4D, g as tf.Tensor1D, tf.zeros([4]), 1e-5);
      return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    })([t.x as tf.Tensor, t.g as tf.Tensor]));
  assert.equal(nativeCallCounts(true).get(PER_IMAGE_NORM)?.native ?? 0, 0, 'no kernel call under the tape');
});

test('SquidLayerNorm (each row over the last axis) matches tfjs-cpu and the tfjs-op composite; under a tape it runs the ops', { skip }, async () => {
  const shapes = [[4, 2048], [3, 5, 7], [1, 9]];
  for (const [i, shape] of shapes.entries()) {
    const rng = new Rng(740 + i);
    const d = shape[shape.length - 1]!;
    // per-row offsets, so statistics shared over rows would be wrong
    const x = randomInput(rng, shape, -1, 3);
    for (let j = 0; j < x.data.length; j++) x.data[j]! += 3 * Math.floor(j / d);
    const inputs = { x, gamma: randomInput(rng, [d], 0.5, 1.5), beta: randomInput(rng, [d]) };
    const norm = (t: Record<string, tf.Tensor>) => layerNorm(t.x as tf.Tensor, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, 1e-5);
    await compareBackends(`layer norm ${JSON.stringify(shape)}`, inputs, norm);
    const [kernel] = await runOn('cpu', inputs, norm);
    const [ops] = await runOn('cpu', inputs, (t) => layerNormOps(t.x as tf.Tensor, t.gamma as tf.Tensor1D, t.beta as tf.Tensor1D, 1e-5));
    assertClose(kernel!.data, ops!.data, 1e-5, `cpu kernel vs ops ${JSON.stringify(shape)}`);
  }
  assertRanNatively([LAYER_NORM], 'layer norm');
  await compareBackends('layer norm gradient', { x: randomInput(new Rng(750), [3, 6]), g: randomInput(new Rng(751), [6], 0.5, 1.5) }, (t) =>
    tf.grads((x: tf.Tensor, g: tf.Tensor) => {
      const y = layerNorm(x, g as tf.Tensor1D, tf.zeros([6]), 1e-5);
      return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    })([t.x as tf.Tensor, t.g as tf.Tensor]));
  assert.equal(nativeCallCounts(true).get(LAYER_NORM)?.native ?? 0, 0, 'no kernel call under the tape');
});
