import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { assertRanNatively, compareBackends, nativeSkipReason, randomInput, runOn, type Input } from './nativeHarness.js';

const skip = await nativeSkipReason();

const cases: [number[], [number, number], boolean, boolean][] = [
  [[2, 4, 4, 3], [8, 8], false, true], // the model's up blocks: x2, half-pixel centres
  [[1, 5, 3, 2], [10, 7], false, true], // odd sizes, batch 1
  [[2, 4, 6, 3], [7, 5], false, false],
  [[1, 4, 5, 2], [8, 9], true, false],
  [[2, 8, 8, 4], [4, 4], false, true], // downsize
  [[4, 16, 16, 33], [32, 32], false, true], // threaded
];

function inputs(seed: number, shape: number[], size: [number, number]): Record<string, Input> {
  const rng = new Rng(seed);
  return { x: randomInput(rng, shape), dy: randomInput(rng, [shape[0]!, size[0], size[1], shape[3]!]) };
}

test('native ResizeBilinear and its gradient match the (corrected) tfjs-cpu kernels', { skip }, async () => {
  for (const [i, [shape, size, ac, hp]] of cases.entries()) {
    await compareBackends(`resize ${JSON.stringify(shape)} -> ${size} ac=${ac} hp=${hp}`, inputs(600 + i, shape, size), (t) => {
      const x = t.x as tf.Tensor4D;
      const y = tf.image.resizeBilinear(x, size, ac, hp);
      const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(v as tf.Tensor4D, size, ac, hp), t.dy as tf.Tensor)))(x);
      return [y, dx];
    });
  }
  assertRanNatively(['ResizeBilinear', 'ResizeBilinearGrad'], 'resize');
});

test('the resize gradient is the adjoint of the forward on both backends: <dy, R x> = <R^T dy, x>', async () => {
  const backends = skip ? ['cpu'] : ['cpu', 'native'];
  for (const backend of backends) {
    for (const [i, [shape, size, ac, hp]] of cases.slice(0, 5).entries()) {
      const inp = inputs(650 + i, shape, size);
      const [y, dx] = await runOn(backend, inp, (t) => {
        const x = t.x as tf.Tensor4D;
        return [
          tf.image.resizeBilinear(x, size, ac, hp),
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(v as tf.Tensor4D, size, ac, hp), t.dy as tf.Tensor)))(x),
        ];
      });
      let lhs = 0;
      let rhs = 0;
      y!.data.forEach((v, k) => (lhs += v * inp.dy!.data[k]!));
      dx!.data.forEach((v, k) => (rhs += v * inp.x!.data[k]!));
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(lhs)), `${backend} ${JSON.stringify(shape)} hp=${hp}: ${lhs} vs ${rhs}`);
    }
  }
});
