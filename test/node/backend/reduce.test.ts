import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { assertRanNatively, compareBackends, nativeSkipReason, randomInput } from './nativeHarness.js';

const skip = await nativeSkipReason();

const cases: [number[], number | number[] | undefined][] = [
  [[2, 7, 5, 3], [0, 1, 2]], // batch-norm moments, NHWC
  [[3, 6, 5, 4], [1, 2]], // per-image moments
  [[4, 9, 33], -1], // layer norm
  [[5, 7], 0],
  [[2, 3, 4, 5], [1, 2, 3]],
  [[2, 1, 4, 1, 5], [1, 2, 3]], // size-1 dims around the reduced block
  [[6, 5], undefined], // everything
  [[16, 64, 64, 4], [0, 1, 2]], // threaded column path
  [[3, 70000], 1], // threaded row path with few rows
];

test('native Sum, Mean, Max, Min, Prod match tfjs-cpu, forward and gradients', { skip }, async () => {
  for (const [i, [shape, axis]] of cases.entries()) {
    for (const keepDims of [false, true]) {
      const inputs = { x: randomInput(new Rng(300 + i), shape, -2, 2) };
      await compareBackends(`reductions ${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, inputs, (t) => {
        const x = t.x as tf.Tensor;
        const out = [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims), tf.max(x, axis, keepDims), tf.min(x, axis, keepDims)];
        const dMean = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mean(v, axis, keepDims), 1.5)))(x);
        const dMax = tf.grad((v: tf.Tensor) => tf.sum(tf.max(v, axis, keepDims)))(x);
        return [...out, dMean, dMax];
      });
    }
  }
  await compareBackends('prod', { x: randomInput(new Rng(399), [3, 4, 5], 0.5, 1.5) }, (t) => tf.prod(t.x as tf.Tensor, [1, 2]));
  await compareBackends('moments NHWC', { x: randomInput(new Rng(398), [4, 6, 6, 8], -1, 3) }, (t) => {
    const m = tf.moments(t.x as tf.Tensor, [0, 1, 2]);
    return [m.mean, m.variance];
  });
  assertRanNatively(['Sum', 'Mean', 'Max', 'Min', 'Prod'], 'reduce');
  // two reduced blocks: the native kernel declines and tfjs-cpu computes it
  await compareBackends('sum over two blocks (fallback)', { x: randomInput(new Rng(397), [3, 4, 5]) }, (t) =>
    tf.sum(t.x as tf.Tensor, [0, 2]),
  );
});
