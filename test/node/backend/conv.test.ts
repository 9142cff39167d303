import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/util/rng.js';
import { loadAddon } from '../../../src/node/backend/native/addon.js';
import { hintConstant } from '../../../src/core/ops/hints.js';
import { isEvicted } from '../../../src/node/backend/native/constantFilters.js';
import { convAddRelu, convAddReluOps } from '../../../src/core/ops/convAddRelu/op.js';
import { CONV_ADD_RELU } from '../../../src/core/ops/convAddRelu/op.js';
import { RESIDUAL_BLOCK } from '../../../src/core/ops/residualBlock/op.js';
import { residualBlock, residualBlockOps, type BlockConv } from '../../../src/core/ops/residualBlock/op.js';
import { nativeCallCounts } from '../../../src/node/backend/nativeBackend.js';
import { assertClose, assertRanNatively, compareBackends, nativeSkipReason, randomInput, runOn, type Input } from './nativeHarness.js';

const skip = await nativeSkipReason();

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dilations?: number;
}

// odd sizes, strides 1 and 2, same/valid/explicit padding, batch 1 and 2
const cases: ConvCase[] = [
  { name: '3x3 s1 same, batch 1', x: [1, 7, 9, 3], w: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { name: '3x3 s2 same, odd sizes (asymmetric pad)', x: [2, 9, 8, 4], w: [3, 3, 4, 6], strides: 2, pad: 'same' },
  { name: '3x3 s2 same, strides as array', x: [1, 8, 7, 2], w: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '5x5 s2 valid', x: [1, 11, 10, 2], w: [5, 5, 2, 3], strides: 2, pad: 'valid' },
  { name: '5x5 s2 explicit pad 2 (discriminator)', x: [2, 12, 12, 3], w: [5, 5, 3, 4], strides: 2, pad: 2 },
  { name: '1x1 s1 valid', x: [2, 5, 5, 7], w: [1, 1, 7, 4], strides: 1, pad: 'valid' },
  { name: '3x3 s1 valid, rectangular', x: [1, 6, 10, 3], w: [3, 2, 3, 2], strides: 1, pad: 'valid' },
  // the model's 3x3 stride-1 shapes: Winograd where the CPU has it (see the test below)
  { name: '3x3 s1 same, 32->48 channels, odd sizes (Winograd)', x: [3, 19, 21, 32], w: [3, 3, 32, 48], strides: 1, pad: 'same' },
  { name: '3x3 s1 same, 64->16, batch 1 (Winograd)', x: [1, 33, 35, 64], w: [3, 3, 64, 16], strides: 1, pad: 'same' },
];

function inputsFor(c: ConvCase, seed: number): Record<string, Input> {
  const rng = new Rng(seed);
  const probe = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number], c.w as [number, number, number, number], c.strides, c.dilations ?? 1, c.pad,
  );
  return {
    x: randomInput(rng, c.x),
    w: randomInput(rng, c.w),
    b: randomInput(rng, [c.w[3] ?? 1]),
    dy: randomInput(rng, probe.outShape),
  };
}

test('native Conv2D forward matches tfjs-cpu', { skip }, async () => {
  for (const [i, c] of cases.entries()) {
    await compareBackends(`conv2d ${c.name}`, inputsFor(c, i), (t) =>
      tf.conv2d(t.x as tf.Tensor4D, t.w as tf.Tensor4D, c.strides, c.pad),
    );
  }
  const dil: ConvCase = { name: 'dilation 2', x: [1, 9, 9, 2], w: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 2 };
  await compareBackends('conv2d dilation 2', inputsFor(dil, 99), (t) =>
    tf.conv2d(t.x as tf.Tensor4D, t.w as tf.Tensor4D, 1, 'same', 'NHWC', 2),
  );
  assertRanNatively(['Conv2D'], 'forward');
});

test('native Conv2DBackpropInput and Conv2DBackpropFilter match tfjs-cpu through tf.grads', { skip }, async () => {
  for (const [i, c] of cases.entries()) {
    await compareBackends(`conv2d grads ${c.name}`, inputsFor(c, 10 + i), (t) => {
      const f = (x: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), t.dy as tf.Tensor));
      const [dx, dw] = tf.grads(f)([t.x as tf.Tensor, t.w as tf.Tensor]);
      return [dx as tf.Tensor, dw as tf.Tensor];
    });
  }
  assertRanNatively(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], 'grads');
});

test('native FusedConv2D (bias + activation) matches tfjs-cpu, forward and gradients', { skip }, async () => {
  const acts = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;
  for (const [i, c] of [...cases.slice(0, 5), ...cases.slice(-2)].entries()) {
    for (const activation of acts) {
      await compareBackends(`fused ${activation} ${c.name}`, inputsFor(c, 20 + i), (t) =>
        tf.fused.conv2d({
          x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D, strides: c.strides, pad: c.pad,
          bias: t.b, activation, leakyreluAlpha: 0.2,
        }),
      );
    }
    // gradient through the fused op (linear + bias takes the fused custom gradient)
    await compareBackends(`fused grads ${c.name}`, inputsFor(c, 30 + i), (t) => {
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({
          x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: c.strides, pad: c.pad, bias: b,
        }), t.dy as tf.Tensor));
      return tf.grads(f)([t.x as tf.Tensor, t.w as tf.Tensor, t.b as tf.Tensor]);
    });
  }
  assertRanNatively(['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], 'fused');
});

test('3x3 stride-1 convolutions with >= 1024 output pixels and >= 16 input channels take Winograd on AVX-512 CPUs; others stay direct', { skip }, () => {
  const addon = loadAddon();
  const p = [1, 1, 1, 1, 1, 1, 1, 1] as [number, number, number, number, number, number, number, number];
  const wino = addon.convImpl([3, 19, 21, 32], [3, 3, 32, 48], [3, 19, 21, 48], p);
  const small = addon.convImpl([3, 13, 11, 32], [3, 3, 32, 48], [3, 13, 11, 48], p); // 429 output pixels: direct
  const strided = addon.convImpl([2, 9, 8, 32], [3, 3, 32, 48], [2, 5, 4, 48], [2, 2, 1, 1, 1, 1, 1, 1]);
  const oneChannel = addon.convImpl([4, 40, 40, 1], [3, 3, 1, 8], [4, 40, 40, 8], p); // the first layer: direct
  for (const impl of Object.values(oneChannel)) assert.doesNotMatch(impl, /wino/);
  process.stdout.write(`# conv implementations: 3x3 s1 ${JSON.stringify(wino)}; 3x3 s2 ${JSON.stringify(strided)}\n`);
  for (const impl of [...Object.values(strided), ...Object.values(small)]) assert.doesNotMatch(impl, /wino/);
  const avx512 = addon.info().cpuIsa.startsWith('avx512_core');
  if (avx512 && process.env.SQUID_CONV_WINOGRAD !== '0') {
    for (const impl of Object.values(wino)) assert.match(impl, /wino/, 'Winograd expected on an AVX-512 CPU');
  }
});

test('a filter declared constant is kept in oneDNN layout, gives the same results, and is freed with its tensor', { skip }, async () => {
  const addon = loadAddon();
  // direct (36 output pixels) and Winograd shapes, both wanting a blocked filter layout
  for (const [i, [xs, ws]] of ([[[1, 6, 6, 64], [3, 3, 64, 64]], [[2, 19, 21, 32], [3, 3, 32, 48]]] as const).entries()) {
    const rng = new Rng(900 + i);
    const x = randomInput(rng, [...xs]);
    const filters = [randomInput(rng, [...ws]), randomInput(rng, [...ws])];
    const conv = (t: Record<string, tf.Tensor>) =>
      tf.fused.conv2d({ x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' });
    await tf.setBackend('native');
    const before = addon.constantFilterBytes();
    for (const w of filters) {
      // the reference on tfjs-cpu (runOn switches backends), then native with the filter declared constant
      const [ref] = await runOn('cpu', { x, w }, conv);
      await tf.setBackend('native');
      const xt = tf.tensor(x.data.slice(), x.shape);
      const wt = tf.tensor(w.data.slice(), w.shape); // the second takes the first's freed storage when pooled
      hintConstant(wt);
      for (let call = 0; call < 2; call++) {
        const y = conv({ x: xt, w: wt });
        assertClose(Float32Array.from(y.dataSync()), ref!.data, 1e-4, `constant filter ${JSON.stringify(ws)} call ${call}`);
        y.dispose();
        assert.ok(addon.constantFilterBytes() >= before + w.data.length * 4, 'the reordered filter is kept');
        assert.ok(isEvicted(wt.dataId), 'the tensor\'s own array is dropped once the addon keeps a copy');
      }
      // another geometry (a batch of 30 takes the other algorithm: another layout, reordered from the kept copy)
      const x30 = randomInput(rng, [30, ...xs.slice(1)]);
      const [ref30] = await runOn('cpu', { x: x30, w }, conv);
      await tf.setBackend('native');
      const x30t = tf.tensor(x30.data.slice(), x30.shape);
      const y30 = conv({ x: x30t, w: wt });
      assertClose(Float32Array.from(y30.dataSync()), ref30!.data, 1e-4, `constant filter ${JSON.stringify(ws)}, batch 30, from the kept copy`);
      // reading the filter brings its array back, exactly
      assert.deepEqual(Float32Array.from(wt.dataSync()), w.data);
      assert.ok(!isEvicted(wt.dataId));
      tf.dispose([xt, wt, x30t, y30]);
      assert.equal(addon.constantFilterBytes(), before, 'freed with the tensor');
    }
  }
  assertRanNatively(['FusedConv2D'], 'constant filter');
});

test('SquidConvAddRelu (residual added by a sum post-op) matches tfjs-cpu and the tfjs-op composite, direct and Winograd, constant filter or not', { skip }, async () => {
  const shapes: [number[], number[], number | [number, number], 'same' | 'valid' | number][] = [
    [[1, 7, 9, 3], [3, 3, 3, 5], 1, 'same'], // direct, odd sizes, batch 1
    [[2, 9, 8, 4], [3, 3, 4, 6], 2, 'same'], // stride 2
    [[2, 5, 5, 7], [1, 1, 7, 4], 1, 'valid'], // 1x1
    [[3, 19, 21, 32], [3, 3, 32, 48], 1, 'same'], // Winograd (blocked output: the residual is reordered in)
    [[1, 33, 35, 64], [3, 3, 64, 16], 1, 'same'], // Winograd, batch 1
  ];
  for (const [i, [xs, ws, strides, pad]] of shapes.entries()) {
    const rng = new Rng(700 + i);
    const out = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], ws as [number, number, number, number], strides, 1, pad).outShape;
    const inputs = { x: randomInput(rng, xs), w: randomInput(rng, ws), b: randomInput(rng, [ws[3] as number]), r: randomInput(rng, out) };
    const args = (t: Record<string, tf.Tensor>) => ({ x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D, bias: t.b as tf.Tensor1D, residual: t.r as tf.Tensor4D });
    for (const constant of [false, true]) {
      await compareBackends(`conv+add+relu ${JSON.stringify(xs)} ${JSON.stringify(ws)} s${JSON.stringify(strides)}${constant ? ' constant' : ''}`, inputs, (t) => {
        if (constant) hintConstant(t.w as tf.Tensor);
        return convAddRelu(args(t), { strides, pad });
      });
    }
    // the cpu kernel against the composite of tfjs ops (the reference of the browser backends)
    const [kernel] = await runOn('cpu', inputs, (t) => convAddRelu(args(t), { strides, pad }));
    const [ops] = await runOn('cpu', inputs, (t) => convAddReluOps(args(t), { strides, pad }));
    assertClose(kernel!.data, ops!.data, 1e-5, `cpu kernel vs ops ${JSON.stringify(xs)}`);
    assert.ok(kernel!.data.some((v) => v === 0) && kernel!.data.some((v) => v > 0), 'the ReLU cuts part of the output');
  }
  assertRanNatively([CONV_ADD_RELU], 'conv+add+relu');
  // a Winograd call split over the batch (chunks of ~16 MB): native kernel vs native composite
  const rng = new Rng(777);
  const big = { x: randomInput(rng, [3, 128, 128, 64]), w: randomInput(rng, [3, 3, 64, 32]), b: randomInput(rng, [32]), r: randomInput(rng, [3, 128, 128, 32]) };
  const a = (t: Record<string, tf.Tensor>) => ({ x: t.x as tf.Tensor4D, filter: t.w as tf.Tensor4D, bias: t.b as tf.Tensor1D, residual: t.r as tf.Tensor4D });
  const [fusedOut] = await runOn('native', big, (t) => convAddRelu(a(t), { strides: 1, pad: 'same' }));
  const [opsOut] = await runOn('native', big, (t) => convAddReluOps(a(t), { strides: 1, pad: 'same' }));
  assertClose(fusedOut!.data, opsOut!.data, 1e-5, 'chunked Winograd conv+add+relu');
  assertRanNatively([CONV_ADD_RELU], 'chunked');
  // under a gradient tape the op runs tfjs ops (the kernel has no gradient)
  await tf.setBackend('native');
  nativeCallCounts(true);
  const xs = tf.randomUniform([1, 6, 6, 2]) as tf.Tensor4D;
  const ws = tf.randomUniform([3, 3, 2, 2]) as tf.Tensor4D;
  const g = tf.grad((w: tf.Tensor) => tf.sum(convAddRelu({ x: xs, filter: w as tf.Tensor4D, bias: tf.zeros([2]), residual: tf.zeros([1, 6, 6, 2]) }, { strides: 1, pad: 'same' })))(ws);
  assert.deepEqual(g.shape, [3, 3, 2, 2]);
  assert.equal(nativeCallCounts(true).get(CONV_ADD_RELU)?.native ?? 0, 0, 'no kernel call under the tape');
  tf.dispose([xs, ws, g]);
});

test('SquidResidualBlock (three folded convolutions in one call) matches tfjs-cpu and the separate kernels, in every layout combination', { skip }, async () => {
  // [x shape, out channels, conv1 stride]: which convolutions run Winograd
  // (blocked layouts) or direct (NHWC) decides which reorders the block skips
  const cases: [number[], number, number, string][] = [
    [[1, 7, 9, 3], 5, 1, 'all direct, odd sizes, batch 1'],
    [[2, 9, 8, 4], 6, 2, 'stride 2, direct'],
    [[1, 33, 35, 64], 64, 1, 'all Winograd (constant: C >= 64)'],
    [[2, 23, 25, 16], 24, 1, 'Winograd unless constant'],
    [[1, 33, 33, 64], 32, 1, 'conv1 Winograd, conv2/3 direct when constant'],
    [[1, 66, 64, 32], 64, 2, 'conv1 direct (stride 2), conv2/3 Winograd'],
    // small maps in a batch: stacked into one tall map (zero rows between)
    [[3, 4, 4, 8], 8, 1, 'stacked, 4x4'],
    [[4, 4, 4, 64], 64, 1, 'stacked, 4x4, 64 channels'],
    [[2, 8, 7, 4], 10, 2, 'stacked, stride 2, odd width'],
    [[4, 3, 5, 3], 5, 1, 'stacked, odd sizes'],
  ];
  for (const [i, [xs, o, stride, label]] of cases.entries()) {
    const rng = new Rng(800 + i);
    const c = xs[3] as number;
    const inputs: Record<string, Input> = { x: randomInput(rng, xs) };
    [[3, 3, c, o], [3, 3, o, o], [3, 3, o, o]].forEach((ws, j) => {
      inputs[`w${j}`] = randomInput(rng, ws, -0.3, 0.3);
      inputs[`b${j}`] = randomInput(rng, [o], -0.2, 0.2);
    });
    const convs = (t: Record<string, tf.Tensor>) =>
      [0, 1, 2].map((j) => ({ filter: t[`w${j}`] as tf.Tensor4D, bias: t[`b${j}`] as tf.Tensor1D })) as [BlockConv, BlockConv, BlockConv];
    for (const constant of [false, true]) {
      await compareBackends(`block ${label}${constant ? ', constant filters' : ''}`, inputs, (t) => {
        const cs = convs(t);
        if (!constant) return residualBlock(t.x as tf.Tensor4D, cs, { strides: stride, pad: 1 });
        for (const k of cs) hintConstant(k.filter);
        // twice: the second call reads the kept filter copies (evicted arrays)
        const first = residualBlock(t.x as tf.Tensor4D, cs, { strides: stride, pad: 1 });
        return [first, residualBlock(t.x as tf.Tensor4D, cs, { strides: stride, pad: 1 })];
      });
    }
    assertRanNatively([RESIDUAL_BLOCK], label);
    // the cpu kernel against the separate kernels, and some ReLU at work
    const [kernel] = await runOn('cpu', inputs, (t) => residualBlock(t.x as tf.Tensor4D, convs(t), { strides: stride, pad: 1 }));
    const [ops] = await runOn('cpu', inputs, (t) => residualBlockOps(t.x as tf.Tensor4D, convs(t), { strides: stride, pad: 1 }));
    assertClose(kernel!.data, ops!.data, 1e-5, `cpu kernel vs separate kernels, ${label}`);
    assert.ok(kernel!.data.some((v) => v === 0) && kernel!.data.some((v) => v > 0), 'the ReLU cuts part of the output');
  }
  // split over the batch (Winograd chunks of ~16 MB): native kernel vs native separate kernels
  const rng = new Rng(880);
  const big: Record<string, Input> = { x: randomInput(rng, [3, 96, 96, 64]) };
  [[3, 3, 64, 32], [3, 3, 32, 32], [3, 3, 32, 32]].forEach((ws, j) => {
    big[`w${j}`] = randomInput(rng, ws, -0.2, 0.2);
    big[`b${j}`] = randomInput(rng, [32], -0.2, 0.2);
  });
  const bc = (t: Record<string, tf.Tensor>) =>
    [0, 1, 2].map((j) => ({ filter: t[`w${j}`] as tf.Tensor4D, bias: t[`b${j}`] as tf.Tensor1D })) as [BlockConv, BlockConv, BlockConv];
  const [one] = await runOn('native', big, (t) => residualBlock(t.x as tf.Tensor4D, bc(t), { strides: 1, pad: 1 }));
  const [separate] = await runOn('native', big, (t) => residualBlockOps(t.x as tf.Tensor4D, bc(t), { strides: 1, pad: 1 }));
  assertClose(one!.data, separate!.data, 1e-5, 'chunked block');
  assertRanNatively([RESIDUAL_BLOCK], 'chunked block');
  // under a gradient tape: separate ops (the kernel has no gradient)
  await tf.setBackend('native');
  const xs = tf.randomUniform([1, 6, 6, 2]) as tf.Tensor4D;
  const ws = [0, 1, 2].map(() => tf.randomUniform([3, 3, 2, 2], -1, 1) as tf.Tensor4D);
  const g = tf.grad((w: tf.Tensor) => tf.sum(residualBlock(xs, [
    { filter: w as tf.Tensor4D, bias: tf.zeros([2]) }, { filter: ws[1]!, bias: tf.zeros([2]) }, { filter: ws[2]!, bias: tf.zeros([2]) },
  ], { strides: 1, pad: 1 })))(ws[0]!);
  assert.deepEqual(g.shape, [3, 3, 2, 2]);
  assert.equal(nativeCallCounts(true).get(RESIDUAL_BLOCK)?.native ?? 0, 0, 'no kernel call under the tape');
  tf.dispose([xs, ...ws, g]);
});

test('native conv2d rejects bad arguments with JS errors instead of crashing', { skip }, () => {
  const addon = loadAddon();
  const x = new Float32Array(1 * 5 * 5 * 2);
  const w = new Float32Array(3 * 3 * 2 * 2);
  const y = new Float32Array(1 * 5 * 5 * 2);
  assert.throws(() => addon.conv2d(x, [1, 5, 5, 2], w, [3, 3, 2, 2], null, y, [1, 5, 5, 2], [0, 1, 1, 1, 1, 1, 1, 1], 0, 0),
    /strides must be >= 1/);
  assert.throws(() => addon.conv2d(x, [1, 5, 5, 3], w, [3, 3, 2, 2], null, y, [1, 5, 5, 2], [1, 1, 1, 1, 1, 1, 1, 1], 0, 0),
    /in-channels/);
  assert.throws(() => addon.conv2d(x.subarray(1), [1, 5, 5, 2], w, [3, 3, 2, 2], null, y, [1, 5, 5, 2], [1, 1, 1, 1, 1, 1, 1, 1], 0, 0),
    /expected 50 floats/);
  assert.throws(() => addon.conv2d(x, [1, 5, 5, 2], w, [3, 3, 2, 2], null, y, [1, 4, 4, 2], [1, 1, 1, 1, 1, 1, 1, 1], 0, 0),
    /does not match geometry/);
  // still usable after the errors
  addon.conv2d(x, [1, 5, 5, 2], w, [3, 3, 2, 2], null, y, [1, 5, 5, 2], [1, 1, 1, 1, 1, 1, 1, 1], 0, 0);
});
