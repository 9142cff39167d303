import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { adamUpdate, adamUpdateOps, type AdamHyper } from '../../../src/core/ops/adamUpdate/op.js';
import { batchMoments, batchNormTrainGrad, batchNormTrainGradOps } from '../../../src/core/ops/batchNormTrain/op.js';
import { assertRanNatively, compareBackends, nativeSkipReason, randomInput, runOn, assertClose } from './nativeHarness.js';

const skip = await nativeSkipReason();
const hyper: AdamHyper = { lr: 1e-3, beta1: 0.5, beta2: 0.999, epsilon: 1e-7, weightDecay: 1e-5, step: 3 };

function adamInputs(seed: number, shape: number[]) {
  const rng = new Rng(seed);
  return { w: randomInput(rng, shape), g: randomInput(rng, shape), m: randomInput(rng, shape, -0.1, 0.1), v: randomInput(rng, shape, 0, 0.01) };
}
const adamFused = (t: Record<string, tf.Tensor>) => {
  const r = adamUpdate(t.w!, t.g!, t.m!, t.v!, hyper);
  return [r.w, r.m, r.v];
};
const adamRef = (t: Record<string, tf.Tensor>) => {
  const r = adamUpdateOps(t.w!, t.g!, t.m!, t.v!, hyper);
  return [r.w, r.m, r.v];
};

function bnInputs(seed: number, shape: number[]) {
  const rng = new Rng(seed);
  const c = shape[3]!;
  return {
    dy: randomInput(rng, shape), x: randomInput(rng, shape, -1, 3), gamma: randomInput(rng, [c], 0.5, 1.5),
    mean: randomInput(rng, [c], 0, 1), rstd: randomInput(rng, [c], 0.5, 2),
  };
}
const bnFused = (t: Record<string, tf.Tensor>) => {
  const r = batchNormTrainGrad(t.dy as tf.Tensor4D, t.x as tf.Tensor4D, t.gamma as tf.Tensor1D, t.mean as tf.Tensor1D, t.rstd as tf.Tensor1D);
  const m = batchMoments(t.x as tf.Tensor4D);
  return [r.dx, r.dgamma, r.dbeta, m.mean, m.variance];
};
const bnRef = (t: Record<string, tf.Tensor>) => {
  const r = batchNormTrainGradOps(t.dy as tf.Tensor4D, t.x as tf.Tensor4D, t.gamma as tf.Tensor1D, t.mean as tf.Tensor1D, t.rstd as tf.Tensor1D);
  const m = tf.moments(t.x, [0, 1, 2]);
  return [r.dx, r.dgamma, r.dbeta, m.mean, m.variance];
};

async function compareWith(backend: string, label: string, inputs: Record<string, { shape: number[]; data: Float32Array }>,
  fused: (t: Record<string, tf.Tensor>) => tf.Tensor[], ref: (t: Record<string, tf.Tensor>) => tf.Tensor[], rtol: number) {
  const want = await runOn('cpu', inputs, ref);
  const got = await runOn(backend, inputs, fused);
  want.forEach((w, i) => assertClose(got[i]!.data, w.data, rtol, `${label} output ${i}`));
}

test('fused Adam step and batch-norm kernels on cpu (JavaScript) equal the tfjs-op expressions', async () => {
  await compareWith('cpu', 'adam cpu', adamInputs(800, [37, 19]), adamFused, adamRef, 1e-5);
  for (const [i, shape] of [[2, 5, 7, 3], [4, 8, 8, 16]].entries()) {
    await compareWith('cpu', `bn cpu ${JSON.stringify(shape)}`, bnInputs(810 + i, shape), bnFused, bnRef, 1e-4);
  }
});

test('native fused Adam step and batch-norm kernels equal the tfjs-op expressions on tfjs-cpu', { skip }, async () => {
  for (const [i, shape] of [[37, 19], [2048, 64], [7]].entries()) {
    await compareWith('native', `adam native ${JSON.stringify(shape)}`, adamInputs(820 + i, shape), adamFused, adamRef, 1e-5);
  }
  for (const [i, shape] of [[2, 5, 7, 3], [1, 3, 3, 8], [16, 16, 16, 32], [3, 9, 9, 131]].entries()) {
    await compareWith('native', `bn native ${JSON.stringify(shape)}`, bnInputs(830 + i, shape), bnFused, bnRef, 1e-4);
  }
  await compareBackends('bn fused cpu vs native', bnInputs(840, [2, 6, 6, 5]), bnFused);
  assertRanNatively(['SquidAdamUpdate', 'SquidBatchMoments', 'SquidBatchNormGrad'], 'fused');
});

test('in-place Adam on native: same steps as the functional path; a clone sharing storage keeps its values', { skip }, async () => {
  const { Adam } = await import('../../../src/node/train/adam.js');
  await tf.setBackend('native');
  const config = { lr: 1e-3, beta1: 0.5, beta2: 0.999, epsilon: 1e-7, weightDecay: 1e-5 };
  const init = tf.randomNormal([37, 29], 0, 1, 'float32', 5);
  const own = (): tf.Variable => {
    const t = tf.add(init, 0);
    const v = tf.variable(t); // the variable alone holds the storage once t is gone
    t.dispose();
    return v;
  };
  const a = own(); // stepped in place
  const b = own(); // stepped functionally (a snapshot shares its storage)
  const optA = new Adam([a], config);
  const optB = new Adam([b], config);
  for (let step = 0; step < 4; step++) {
    const g = tf.randomNormal([37, 29], 0, 1, 'float32', 10 + step);
    const idA = a.dataId;
    optA.apply([g]);
    assert.equal(a.dataId, idA, 'in place: the variable keeps its storage');
    const snapshot = tf.clone(b); // shares b's storage: b must not be written in place
    const before = snapshot.dataSync().slice();
    optB.apply([g]);
    assert.notEqual(b.dataId, snapshot.dataId, 'functional path: new storage for b');
    assert.deepEqual(Array.from(snapshot.dataSync()), Array.from(before), 'the snapshot is untouched');
    assertClose(a.dataSync() as Float32Array, b.dataSync() as Float32Array, 1e-6, `step ${step + 1}: in place vs functional`);
    tf.dispose([g, snapshot]);
  }
  optA.dispose();
  optB.dispose();
  tf.dispose([a, b, init]);
});
