import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { assertRanNatively, compareBackends, nativeSkipReason, randomInput } from './nativeHarness.js';

const skip = await nativeSkipReason();

const weightsFor = (y: tf.Tensor) => tf.sin(tf.range(0, y.size).reshape(y.shape));

test('native Transpose matches tfjs-cpu (ranks 2-6, patch split/assemble), forward and gradients', { skip }, async () => {
  const cases: [number[], number[]][] = [
    [[5, 7], [1, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[3, 1, 5, 2], [0, 3, 1, 2]],
    [[2, 2, 3, 2, 3, 4], [0, 1, 3, 2, 4, 5]], // splitPatches
    [[2, 3, 2, 3, 2, 5], [0, 2, 1, 3, 4, 5]],
    [[4, 33, 65], [0, 2, 1]],
    [[16, 2, 32, 2, 32, 8], [0, 1, 3, 2, 4, 5]], // threaded
  ];
  for (const [i, [shape, perm]] of cases.entries()) {
    await compareBackends(`transpose ${JSON.stringify(shape)} ${JSON.stringify(perm)}`, { x: randomInput(new Rng(500 + i), shape) }, (t) => {
      const x = t.x as tf.Tensor;
      const y = tf.transpose(x, perm);
      return [y, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.transpose(v, perm), weightsFor(y))))(x)];
    });
  }
  assertRanNatively(['Transpose'], 'transpose');
});

test('native Concat, Slice, PadV2 match tfjs-cpu, forward and gradients', { skip }, async () => {
  const rng = new Rng(550);
  // concat along each axis of NHWC, with unequal sizes
  for (const axis of [0, 1, 2, 3, -1]) {
    const shapeA = [2, 3, 4, 5];
    const shapeB = [...shapeA];
    shapeB[axis < 0 ? 3 : axis] = 2;
    await compareBackends(`concat axis ${axis}`, { a: randomInput(rng, shapeA), b: randomInput(rng, shapeB), c: randomInput(rng, shapeA) }, (t) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.concat([a, b, c], axis);
      const y = f(t.a as tf.Tensor, t.b as tf.Tensor, t.c as tf.Tensor);
      const w = weightsFor(y);
      return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), w)))(
        [t.a as tf.Tensor, t.b as tf.Tensor, t.c as tf.Tensor])];
    });
  }
  await compareBackends('concat 1-D', { a: randomInput(rng, [3]), b: randomInput(rng, [5]) }, (t) => tf.concat([t.a as tf.Tensor, t.b as tf.Tensor]));
  const slices: [number[], number[], number[]][] = [
    [[5, 7], [1, 2], [3, -1]],
    [[4, 6, 6, 3], [0, 1, 2, 0], [4, 3, 3, 3]],
    [[4, 6, 6, 3], [1, 0, 0, 1], [2, -1, -1, 1]],
    [[16, 64, 64, 8], [0, 0, 0, 0], [1, 64, 64, 8]],
    [[3, 4, 5], [2, 3, 4], [1, 1, 1]],
  ];
  for (const [shape, begin, sz] of slices) {
    await compareBackends(`slice ${JSON.stringify(shape)} ${JSON.stringify(begin)} ${JSON.stringify(sz)}`, { x: randomInput(rng, shape) }, (t) => {
      const x = t.x as tf.Tensor;
      const y = tf.slice(x, begin, sz);
      return [y, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.slice(v, begin, sz), weightsFor(y))))(x)];
    });
  }
  const pads: [number[], [number, number][], number][] = [
    [[3, 4], [[1, 2], [0, 3]], 0],
    [[2, 5, 5, 3], [[0, 0], [1, 1], [2, 0], [0, 0]], 0],
    [[2, 3, 4], [[1, 0], [0, 0], [2, 2]], 1.5],
  ];
  for (const [shape, paddings, value] of pads) {
    await compareBackends(`pad ${JSON.stringify(shape)} ${JSON.stringify(paddings)} ${value}`, { x: randomInput(rng, shape) }, (t) => {
      const x = t.x as tf.Tensor;
      const y = tf.pad(x, paddings, value);
      return [y, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.pad(v, paddings, value), weightsFor(y))))(x)];
    });
  }
  for (const [shape, splits, axis] of [[[4, 6, 5], 3, 1], [[2, 3, 4, 9], [2, 4, 3], -1], [[7, 2], [3, -1], 0]] as [number[], number | number[], number][]) {
    await compareBackends(`split ${JSON.stringify(shape)} ${JSON.stringify(splits)} axis ${axis}`, { x: randomInput(rng, shape) }, (t) =>
      tf.split(t.x as tf.Tensor, splits, axis),
    );
  }
  await compareBackends('zerosLike / onesLike', { x: randomInput(rng, [3, 5, 7]) }, (t) => [tf.zerosLike(t.x as tf.Tensor), tf.onesLike(t.x as tf.Tensor)]);
  // row gather (the memory queue write): repeated and out-of-order rows, 2-D and 3-D
  for (const shape of [[9, 5], [6, 4, 3]]) {
    await compareBackends(`gather rows ${JSON.stringify(shape)}`, { x: randomInput(rng, shape) }, (t) =>
      tf.gather(t.x as tf.Tensor, tf.tensor1d([4, 0, 0, 5, 2], 'int32')),
    );
  }
  assertRanNatively(['Concat', 'Slice', 'PadV2', 'SplitV', 'GatherV2', 'ZerosLike', 'OnesLike'], 'layout');
});
