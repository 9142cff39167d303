/**
 * The model's fused paths against the plain tfjs-op math they replace:
 * Conv2d as one FusedConv2D (vs conv2d + bias add), training-mode BatchNorm
 * through src/core/ops/batchNormTrain/op.ts (vs autodiff of the tf.moments
 * composite), the residual block with its tactics (src/core/tactics/residualBlock.ts:
 * a tf.tidy; folded when compiled) vs the same block written out in plain
 * ops, untidied. Each runs on the active backend (native, or cpu with
 * its JavaScript fused kernels) and on 'plain-ops', tfjs-cpu without the
 * squid fused kernels (the path browser backends take).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { useBackend } from '../../../src/node/backend/select.js';
import { ADAM_UPDATE } from '../../../src/core/ops/adamUpdate/op.js';
import { BATCH_MOMENTS, BATCH_NORM_GRAD } from '../../../src/core/ops/batchNormTrain/op.js';
import { ParamStore } from '../../../src/core/model/params.js';
import { Conv2d } from '../../../src/core/squid/layers.js';
import { BatchNorm } from '../../../src/core/squid/batchNorm.js';
import { ResidualBlock } from '../../../src/core/squid/residualBlock.js';
import { TacticalResidualBlock } from '../../../src/core/tactics/residualBlock.js';
import { inferenceContext, trainingContext } from '../../../src/core/squid/context.js';

const PLAIN = 'plain-ops';
let active = 'cpu';

before(async () => {
  active = (await useBackend('auto', { quiet: true })).name;
  const fused = new Set([ADAM_UPDATE, BATCH_MOMENTS, BATCH_NORM_GRAD]);
  tf.registerBackend(PLAIN, () => new MathBackendCPU());
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (!fused.has(k.kernelName)) tf.registerKernel({ ...k, backendName: PLAIN });
  }
});

/** max |a - b| <= tol * max(1, max |b|) */
function assertNear(a: tf.Tensor, b: tf.Tensor, tol: number, label: string): void {
  const [err, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!, tf.max(tf.abs(b)).dataSync()[0]!]);
  assert.ok(err <= tol * Math.max(1, scale), `${label}: max abs error ${err} (scale ${scale})`);
}

/** Runs body on each backend (the active one and the plain-op one), restoring the active one. */
async function onEachBackend(body: (backend: string) => void): Promise<void> {
  for (const b of [active, PLAIN]) {
    await tf.setBackend(b);
    try {
      body(b);
    } finally {
      await tf.setBackend(active);
    }
  }
}

/** The gradient of sum(f() * c) with respect to vars, and that loss. */
function lossAndGrads(f: () => tf.Tensor, c: tf.Tensor, vars: tf.Variable[]): { loss: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), c)), vars);
  return { loss: value, grads: vars.map((v) => grads[v.name]!) };
}

/** Plain-op training batch norm: autodiff through the batch statistics. */
function bnComposite(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

test('Conv2d (one fused kernel with the bias) equals conv2d + bias add: output and gradients', async () => {
  const cases = [
    { inC: 3, outC: 4, k: 3, stride: 1, pad: 1, bias: true },
    { inC: 3, outC: 5, k: 5, stride: 2, pad: 2, bias: true },
    { inC: 4, outC: 2, k: 1, stride: 1, pad: 0, bias: false },
  ];
  await onEachBackend((backend) => {
    for (const [ci, p] of cases.entries()) {
      const store = new ParamStore(7 + ci);
      const conv = new Conv2d(store, 'c', p.inC, p.outC, p.k, p.stride, p.pad, p.bias);
      assert.deepEqual(conv.kernel.shape, [p.k, p.k, p.inC, p.outC]);
      assert.deepEqual(conv.bias?.shape, p.bias ? [p.outC] : undefined);
      const x = tf.variable(tf.randomNormal([2, 9, 9, p.inC], 0, 1, 'float32', 31 + ci));
      const vars = [x, conv.kernel, ...(conv.bias ? [conv.bias] : [])];
      const y = conv.apply(x as tf.Tensor4D);
      const c = tf.randomNormal(y.shape, 0, 1, 'float32', 41 + ci);
      const got = lossAndGrads(() => conv.apply(x as tf.Tensor4D), c, vars);
      const want = lossAndGrads(() => {
        const z = tf.conv2d(x as tf.Tensor4D, conv.kernel as tf.Tensor4D, p.stride, p.pad);
        return conv.bias ? tf.add(z, conv.bias) : z;
      }, c, vars);
      const label = `${backend} case ${ci}`;
      assertNear(got.loss, want.loss, 1e-5, `${label} loss`);
      got.grads.forEach((g, i) => assertNear(g, want.grads[i]!, 1e-5, `${label} gradient ${i}`));
      tf.dispose([x, y, c, got.loss, want.loss, ...got.grads, ...want.grads]);
      store.dispose();
    }
  });
});

test('BatchNorm train (fused moments and backward) equals autodiff of the tf.moments composite; running statistics kept', async () => {
  await onEachBackend((backend) => {
    const store = new ParamStore(3);
    const bn = new BatchNorm(store, 'bn', 5);
    tf.tidy(() => {
      bn.gamma.assign(tf.randomNormal([5], 1, 0.5, 'float32', 51));
      bn.beta.assign(tf.randomNormal([5], 0, 1, 'float32', 52));
    });
    const x = tf.variable(tf.randomNormal([3, 4, 4, 5], 2, 3, 'float32', 53));
    const c = tf.randomNormal([3, 4, 4, 5], 0, 1, 'float32', 54);
    const vars = [x, bn.gamma, bn.beta];
    const got = lossAndGrads(() => bn.apply(x as tf.Tensor4D, trainingContext()), c, vars);
    const want = lossAndGrads(() => bnComposite(x as tf.Tensor4D, bn.gamma, bn.beta), c, vars);
    assertNear(got.loss, want.loss, 1e-5, `${backend} loss`);
    got.grads.forEach((g, i) => assertNear(g, want.grads[i]!, 1e-4, `${backend} gradient ${i}`));
    assert.ok(tf.tidy(() => tf.max(tf.abs(got.grads[0]!)).dataSync()[0]!) > 1e-3, 'dx not all zero');
    // running statistics: one update from (0, 1), momentum 0.1, unbiased variance
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const m = 3 * 4 * 4;
    tf.tidy(() => {
      assertNear(bn.runningMean, tf.mul(mean, 0.1), 1e-6, `${backend} running mean`);
      assertNear(bn.runningVar, tf.add(0.9, tf.mul(variance, (0.1 * m) / (m - 1))), 1e-5, `${backend} running var`);
    });
    tf.dispose([x, c, mean, variance, got.loss, want.loss, ...got.grads, ...want.grads]);
    store.dispose();
  });
});

test('the tactical residual block (its own tf.tidy): only its output survives; loss and gradients equal the untidied plain-op block', async () => {
  await onEachBackend((backend) => {
    const store = new ParamStore(9);
    const block = new TacticalResidualBlock(new ResidualBlock(store, 'b', 2, 3, 2), store.inference);
    const x = tf.variable(tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 61));
    const leftBy = (mode: 'train' | 'running'): number => {
      const before = tf.memory().numTensors;
      tf.dispose(block.apply(x as tf.Tensor4D, mode === 'train' ? trainingContext() : inferenceContext()));
      return tf.memory().numTensors - before;
    };
    assert.equal(leftBy('train'), 0, `${backend} train: tensors left by one block`);
    assert.equal(leftBy('running'), 0, `${backend} running, not compiled: tensors left by one block`);
    const beforeCompile = tf.memory().numTensors;
    store.inference.enter();
    assert.equal(leftBy('running'), 6, `${backend} compiled: the first pass keeps 3 folded filters and biases`);
    assert.equal(leftBy('running'), 0, `${backend} compiled: later passes reuse them`);
    store.inference.exit();
    assert.equal(tf.memory().numTensors, beforeCompile, `${backend}: releasing the compile frees the folded forms`);
    const p = (name: string): tf.Variable => store.get(`b/${name}`)!;
    const convBnPlain = (h: tf.Tensor4D, i: number, stride: number): tf.Tensor4D =>
      bnComposite(tf.add(tf.conv2d(h, p(`conv${i}/kernel`) as tf.Tensor4D, stride, 1), p(`conv${i}/bias`)), p(`bn${i}/gamma`), p(`bn${i}/beta`));
    const plain = (): tf.Tensor4D => {
      const a = tf.relu(convBnPlain(x as tf.Tensor4D, 1, 2));
      const h = tf.relu(convBnPlain(a, 2, 1));
      return tf.relu(tf.add(a, convBnPlain(h, 3, 1)));
    };
    const vars = [x, ...store.trainable(['b/'])];
    assert.equal(vars.length, 1 + 3 * 4);
    const c = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 62);
    const baseline = tf.memory().numTensors;
    const got = lossAndGrads(() => block.apply(x as tf.Tensor4D, trainingContext()), c, vars);
    assert.equal(tf.memory().numTensors - baseline, 1 + vars.length, `${backend}: tensors left by a backward pass`);
    const want = lossAndGrads(plain, c, vars);
    assertNear(got.loss, want.loss, 1e-4, `${backend} loss`);
    // conv biases before batch norm get zero gradient in exact arithmetic: absolute floor
    got.grads.forEach((g, i) => assertNear(g, want.grads[i]!, 2e-4, `${backend} gradient of ${vars[i]!.name}`));
    tf.dispose([x, c, got.loss, want.loss, ...got.grads, ...want.grads]);
    store.dispose();
  });
});

test('the tactical residual block in inference (running statistics): compiled, the folded conv+BN+ReLU equals the plain layers, and follows weight updates', async () => {
  await onEachBackend((backend) => {
    const store = new ParamStore(11);
    const block = new TacticalResidualBlock(new ResidualBlock(store, 'b', 3, 4, 1), store.inference);
    const x = tf.randomNormal([2, 7, 9, 3], 0, 1, 'float32', 71) as tf.Tensor4D;
    const p = (name: string): tf.Variable => store.get(`b/${name}`)!;
    // non-trivial running statistics and affine parameters
    for (let i = 0; i < 3; i++) tf.dispose(block.apply(tf.mul(x, 1 + i) as tf.Tensor4D, trainingContext()));
    for (const i of [1, 2, 3]) {
      p(`bn${i}/gamma`).assign(tf.randomUniform([4], 0.5, 1.5, 'float32', 80 + i));
      p(`bn${i}/beta`).assign(tf.randomNormal([4], 0, 0.3, 'float32', 90 + i));
    }
    const plainRunning = (): tf.Tensor4D => tf.tidy(() => {
      const layer = (h: tf.Tensor4D, i: number): tf.Tensor4D =>
        tf.batchNorm4d(tf.add(tf.conv2d(h, p(`conv${i}/kernel`) as tf.Tensor4D, 1, 1), p(`conv${i}/bias`)),
          p(`bn${i}/running_mean`) as tf.Tensor1D, p(`bn${i}/running_var`) as tf.Tensor1D, p(`bn${i}/beta`) as tf.Tensor1D, p(`bn${i}/gamma`) as tf.Tensor1D, 1e-5);
      const a = tf.relu(layer(x, 1));
      return tf.relu(tf.add(a, layer(tf.relu(layer(a, 2)), 3)));
    });
    const check = (label: string): void => {
      const want = plainRunning();
      const plain = block.apply(x, inferenceContext()); // not compiled: the paper's layers
      assertNear(plain, want, 1e-5, `${backend} ${label}, not compiled`);
      store.inference.enter(); // compiled (src/core/tactics/compile.ts): the folded block
      const folded = block.apply(x, inferenceContext());
      store.inference.exit();
      assertNear(folded, want, 1e-5, `${backend} ${label}, compiled`);
      tf.dispose([plain, folded, want]);
    };
    check('folded block');
    // new weights reach the next compile (the folded forms went with the last one)
    p('conv2/kernel').assign(tf.mul(p('conv2/kernel'), -0.5));
    p('bn3/running_mean').assign(tf.add(p('bn3/running_mean'), 0.25));
    check('after assigning a kernel and a running mean');
    tf.dispose(x);
    store.dispose();
  });
});

test('mse and concatChannels (saving less for the backward pass) equal the tfjs composites: values and gradients', async () => {
  const { mse } = await import('../../../src/core/squid/losses.js');
  const { concatChannels } = await import('../../../src/core/ops/concatChannels.js');
  await onEachBackend((backend) => {
    const a = tf.variable(tf.randomNormal([2, 5, 7, 3], 0, 1, 'float32', 101));
    const b = tf.variable(tf.randomNormal([2, 5, 7, 4], 0, 1, 'float32', 102));
    const t = tf.variable(tf.randomNormal([2, 5, 7, 3], 0, 1, 'float32', 103));
    const c = tf.randomNormal([2, 5, 7, 7], 0, 1, 'float32', 104);
    const one = tf.scalar(1);
    const pairs: [string, () => tf.Tensor, () => tf.Tensor, tf.Tensor][] = [
      ['mse', () => mse(a, t), () => tf.mean(tf.squaredDifference(a, t)), one],
      ['concatChannels', () => concatChannels(a as tf.Tensor4D, b as tf.Tensor4D), () => tf.concat([a, b], 3), c],
    ];
    for (const [name, got, want, weight] of pairs) {
      const g = lossAndGrads(got, weight, [a, b, t]);
      const w = lossAndGrads(want, weight, [a, b, t]);
      assertNear(g.loss, w.loss, 1e-6, `${backend} ${name} value`);
      g.grads.forEach((x, i) => {
        const y = w.grads[i];
        if (x && y) assertNear(x, y, 1e-6, `${backend} ${name} gradient ${i}`);
        else assert.equal(x ?? null, y ?? null, `${backend} ${name} gradient ${i} presence`);
      });
      tf.dispose([g.loss, w.loss, ...g.grads.filter(Boolean), ...w.grads.filter(Boolean)]);
    }
    tf.dispose([a, b, t, c, one]);
  });
});
