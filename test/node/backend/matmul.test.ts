import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import assert from 'node:assert/strict';
import { assertClose, assertRanNatively, compareBackends, nativeSkipReason, randomInput, runOn } from './nativeHarness.js';
import { sparseRead, sparseReadOps } from '../../../src/core/ops/sparseRead/op.js';
import { SPARSE_READ } from '../../../src/core/ops/sparseRead/op.js';

const skip = await nativeSkipReason();

// [a shape, b shape, transposeA, transposeB]
const cases: [number[], number[], boolean, boolean][] = [
  [[7, 5], [5, 9], false, false],
  [[5, 7], [5, 9], true, false],
  [[7, 5], [9, 5], false, true],
  [[5, 7], [9, 5], true, true],
  [[3, 4, 6], [3, 6, 5], false, false], // batched
  [[1, 4, 6], [3, 6, 5], false, false], // batch broadcast a
  [[3, 4, 6], [6, 5], false, false], // rank-2 b
  [[2, 3, 4, 6], [2, 3, 5, 6], false, true], // rank 4
  [[64, 129], [129, 65], false, false], // larger, odd
  [[1, 1], [1, 1], false, false],
  // few rows, long K (the memory reads at inference): the small-M path
  [[9, 1, 300], [9, 200, 300], false, true],
  [[9, 1, 200], [9, 200, 1100], false, false],
  [[3, 300, 2], [3, 300, 70], true, false],
  [[3, 300, 4], [3, 70, 300], true, true],
  [[1, 3, 260], [4, 260, 33], false, false],
  // every row count of the small-M kernels, K not a multiple of the unrolling
  [[5, 301], [301, 77], false, false],
  [[8, 259], [259, 3], false, false],
  [[2, 517], [33, 517], false, true],
  [[6, 1030], [40, 1030], false, true],
  [[3, 263], [17, 263], false, true],
  [[7, 257], [9, 257], false, true],
  [[5, 300], [11, 300], false, true],
  [[8, 270], [5, 270], false, true],
  // up to 16 rows stream b when it is not transposed (a transposed or not); 9-16 rows of a . b^T go to oneDNN
  [[10, 300], [300, 33], false, false],
  [[2, 16, 257], [2, 257, 9], false, false],
  [[260, 12], [260, 20], true, false],
  [[10, 300], [33, 300], false, true],
  // several rows of b per step, rows left over, a thread's range crossing a batch
  [[3, 4, 301], [3, 13, 301], false, true],
  [[2, 1, 290], [2, 7, 290], false, true],
];

test('native BatchMatMul matches tfjs-cpu, forward and gradients', { skip }, async () => {
  for (const [i, [as, bs, ta, tb]] of cases.entries()) {
    const rng = new Rng(400 + i);
    const inputs = { a: randomInput(rng, as), b: randomInput(rng, bs) };
    await compareBackends(`matMul ${JSON.stringify(as)}x${JSON.stringify(bs)} ${ta} ${tb}`, inputs, (t) => {
      const a = t.a as tf.Tensor;
      const b = t.b as tf.Tensor;
      const y = tf.matMul(a, b, ta, tb);
      if (as.length !== bs.length || as[0] !== bs[0]) return [y]; // tfjs grads need equal batch dims
      const w = tf.sin(tf.range(0, y.size).reshape(y.shape));
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([a, b]);
      return [y, da as tf.Tensor, db as tf.Tensor];
    });
  }
  assertRanNatively(['BatchMatMul'], 'matmul');
});

test('native _FusedMatMul (bias + activation) matches tfjs-cpu, forward and gradients', { skip }, async () => {
  for (const activation of ['linear', 'relu', 'leakyrelu', 'sigmoid', 'elu', 'relu6'] as const) {
    // the first four cases, then few-row products (the small-M path adds bias and activation after its loops)
    const fusedCases: typeof cases = [
      ...cases.slice(0, 4), [[4, 300], [300, 33], false, false], [[5, 301], [40, 301], false, true], [[2, 3, 260], [2, 260, 17], false, false],
      [[10, 300], [300, 33], false, false],
    ];
    for (const [i, [as, bs, ta, tb]] of fusedCases.entries()) {
      const rng = new Rng(450 + i);
      const n = tb ? bs[bs.length - 2]! : bs[bs.length - 1]!;
      const inputs = { a: randomInput(rng, as), b: randomInput(rng, bs), bias: randomInput(rng, [n]) };
      await compareBackends(`fused matMul ${activation} ${ta} ${tb}`, inputs, (t) =>
        tf.fused.matMul({
          a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: t.bias, activation,
          leakyreluAlpha: 0.2,
        }),
      );
    }
  }
  const rng = new Rng(470);
  await compareBackends('fused matMul grads', { a: randomInput(rng, [6, 5]), b: randomInput(rng, [5, 4]), bias: randomInput(rng, [4]) }, (t) => {
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'linear' })));
    return tf.grads(f)([t.a as tf.Tensor, t.b as tf.Tensor, t.bias as tf.Tensor]);
  });
  assertRanNatively(['_FusedMatMul'], 'fused matmul');
});

test('SquidSparseRead (k-sparse memory read-out) matches tfjs-cpu and the gather + matMul ops', { skip }, async () => {
  for (const [i, [M, S, d, B, k]] of [[3, 11, 37, 5, 4], [1, 200, 300, 1, 4], [4, 7, 8, 16, 1]].entries()) {
    const rng = new Rng(490 + i);
    const idx = Int32Array.from({ length: M * B * k }, () => Math.floor(rng.uniform(0, S)));
    const inputs = { memory: randomInput(rng, [M, S, d]), weights: randomInput(rng, [M, B, k], 0, 1) };
    const read = (t: Record<string, tf.Tensor>) =>
      sparseRead(t.memory as tf.Tensor3D, tf.tensor3d(idx, [M, B, k], 'int32'), t.weights as tf.Tensor3D);
    await compareBackends(`sparse read ${M}x${S}x${d}, ${B}x${k}`, inputs, read);
    assertRanNatively([SPARSE_READ], 'sparse read');
    const [kernel] = await runOn('cpu', inputs, read);
    const [ops] = await runOn('cpu', inputs, (t) =>
      sparseReadOps(t.memory as tf.Tensor3D, tf.tensor3d(idx, [M, B, k], 'int32'), t.weights as tf.Tensor3D));
    assertClose(kernel!.data, ops!.data, 1e-6, `cpu kernel vs ops ${M}x${S}x${d}`);
  }
  // an index outside the memory is an error, not a stray read
  for (const backend of ['cpu', 'native']) {
    await tf.setBackend(backend);
    const mem = tf.zeros([1, 4, 3]) as tf.Tensor3D;
    const bad = tf.tensor3d([0, 4], [1, 1, 2], 'int32');
    assert.throws(() => sparseRead(mem, bad, tf.ones([1, 1, 2]) as tf.Tensor3D), /index 4 is not in \[0, 4\)/);
    tf.dispose([mem, bad]);
  }
});
