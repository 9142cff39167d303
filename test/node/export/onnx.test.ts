/**
 * The ONNX export: each tfjs kernel's ONNX form computes what tfjs-cpu does
 * (run in onnxruntime-node), an exported run scores as `squid score` does
 * (within 1e-4), and a kernel without an ONNX form stops the export naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { getPreset, type Preset } from '../../../src/core/squid/presets.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { disposeState } from '../../../src/core/io/modelState.js';
import type { ScoringJson } from '../../../src/node/io/runDir.js';
import { writeSeededRun } from './seededRun.js';
import { exportOnnx, sameGraph } from '../../../src/node/export/onnx/exportOnnx.js';
import { onTraceBackend, traceKernels } from '../../../src/node/export/onnx/trace.js';
import { missingKernels, toOnnx } from '../../../src/node/export/onnx/toOnnx.js';
import { loadDetector } from '../../../src/node/api.js';
import { withTempDir } from '../../tmpDir.js';

await useBackend('auto', { quiet: true }); // as `squid score` runs
const create = (p: Preset) => createSquid(p, { seed: 0 });
const INFO = { name: 'test', producerVersion: 'test', doc: '', metadata: {} };

/** Runs an ONNX model on named float32 inputs; returns every output. */
async function runOnnx(bytes: Uint8Array, inputs: Record<string, tf.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) feeds[k] = new ort.Tensor('float32', t.dataSync() as Float32Array, t.shape);
  const out = await session.run(feeds);
  await session.release();
  return out;
}

function assertClose(name: string, got: ArrayLike<number | bigint | boolean>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${name}: ${got.length} values, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = Number(got[i]);
    const w = want[i] as number;
    assert.ok(Math.abs(g - w) <= tol * (1 + Math.abs(w)), `${name}[${i}]: onnxruntime ${g}, tfjs ${w}`);
  }
}

/** One output per kernel form (and per attribute variant) the export writes. */
function kernelZoo(i: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const x = i.x as tf.Tensor4D; // [2,8,8,3]
  const w = tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomNormal([4], 0, 0.3, 'float32', 2) as tf.Tensor1D;
  const flat = tf.reshape(x, [2, 8 * 8 * 3]) as tf.Tensor2D;
  const m = tf.randomNormal([8 * 8 * 3, 5], 0, 0.1, 'float32', 3) as tf.Tensor2D;
  const rows = tf.reshape(x, [2, 64, 3]) as tf.Tensor3D;
  const top = tf.topk(tf.reshape(x, [2, 192]), 5);
  const c = tf.reshape(tf.slice(x, [0, 0, 0, 0], [2, 8, 8, 1]), [2, 64]);
  return {
    convSameStride2Relu: tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'same', bias: b, activation: 'relu' }),
    convValidDilated: tf.conv2d(x, w, 1, 'valid', 'NHWC', 2),
    convExplicitLeaky: tf.fused.conv2d({ x, filter: w, strides: 1, pad: [[0, 0], [1, 2], [2, 1], [0, 0]], activation: 'leakyrelu', leakyreluAlpha: 0.1 }),
    convPrelu: tf.fused.conv2d({ x, filter: w, strides: [1, 2], pad: 'same', activation: 'prelu', preluActivationWeights: tf.fill([4], 0.25) }),
    resizeHalfPixel: tf.image.resizeBilinear(x, [16, 12], false, true),
    resizeAlign: tf.image.resizeBilinear(x, [5, 13], true),
    resizeLegacy: tf.image.resizeBilinear(x, [16, 16]),
    resizeNearest: tf.image.resizeNearestNeighbor(x, [16, 16]),
    matMulT: tf.matMul(rows, rows, true, false),
    matMulBT: tf.matMul(rows, rows, false, true),
    fusedMatMul: tf.fused.matMul({ a: flat, b: m, bias: tf.fill([5], 0.1), activation: 'relu' }),
    batchNorm: tf.batchNorm(x, tf.tensor1d([0.1, 0.2, 0.3]), tf.tensor1d([1, 2, 0.5]), tf.tensor1d([0, 1, -1]), tf.tensor1d([2, 1, 0.5]), 1e-3),
    mean: tf.mean(x, [1, 2], true),
    sum: tf.sum(x, -1),
    max: tf.max(x, [1, 2]),
    min: tf.min(x, 3, true),
    prod: tf.prod(tf.add(tf.mul(x, 0.1), 1), [1]),
    argMax: tf.argMax(flat, 1),
    argMin: tf.argMin(flat, 1),
    softmax: tf.softmax(tf.reshape(x, [2, 192])),
    logSoftmax: tf.logSoftmax(tf.reshape(x, [2, 192])),
    topkValues: top.values,
    topkIndices: top.indices,
    gather: tf.gather(tf.reshape(x, [192, 2]), top.indices.flatten()),
    oneHot: tf.oneHot(tf.reshape(top.indices, [10]), 192, 2, -1, 'float32'),
    slice: tf.slice(x, [1, 2, 0, 1], [1, -1, 5, 2]),
    concat: tf.concat([x, tf.neg(x)], 3),
    stack: tf.stack([c, tf.exp(c)], 1),
    unstack: tf.unstack(tf.reshape(x, [2, 192]), 0)[1] as tf.Tensor,
    pad: tf.pad(x, [[0, 0], [1, 2], [0, 3], [0, 0]], 0.5),
    tile: tf.tile(c, [2, 3]),
    where: tf.where(tf.greater(x, 0.5), x, tf.neg(x)),
    compare: tf.cast(tf.logicalAnd(tf.greaterEqual(x, 0.2), tf.lessEqual(x, 0.8)), 'float32'),
    notEqual: tf.notEqual(tf.less(x, 0.5), tf.equal(x, 0)),
    cast: tf.cast(tf.mul(x, 10), 'int32'),
    elementwise: tf.addN([tf.abs(tf.sub(x, 0.5)), tf.log(tf.add(x, 1)), tf.sqrt(x), tf.rsqrt(tf.add(x, 1)), tf.square(x), tf.sigmoid(x), tf.tanh(x), tf.relu(tf.sub(x, 0.3))]),
    binary: tf.addN([tf.squaredDifference(x, 0.3), tf.maximum(x, 0.4), tf.minimum(x, 0.6), tf.pow(x, 2.5), tf.div(x, tf.add(x, 1)), tf.clipByValue(x, 0.2, 0.7), tf.relu6(tf.mul(x, 9)), tf.prelu(tf.sub(x, 0.5), tf.scalar(0.2))]),
  };
}

test('every kernel form the ONNX export writes computes what tfjs-cpu does (onnxruntime-node)', async () => {
  await onTraceBackend(async () => {
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 7);
    const want: Record<string, { values: ArrayLike<number>; shape: number[] }> = {};
    for (const [k, t] of Object.entries(tf.tidy(() => kernelZoo({ x })))) {
      want[k] = { values: Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape };
      t.dispose();
    }
    const trace = traceKernels({ x }, kernelZoo);
    const got = await runOnnx(toOnnx(trace, INFO), { x });
    x.dispose();
    for (const [k, w] of Object.entries(want)) {
      const g = got[k] as ort.Tensor;
      assert.deepEqual([...g.dims], w.shape, `${k}: shape`);
      assertClose(k, g.data as ArrayLike<number>, w.values, 1e-5);
    }
  });
});

test('a constant and its reshaped views are stored once in the file, and still compute what tfjs does', async () => {
  await onTraceBackend(async () => {
    const x = tf.randomUniform([2, 4], 0, 1, 'float32', 3);
    const w = tf.randomNormal([4, 6], 0, 1, 'float32', 4);
    const fn = (i: Record<string, tf.Tensor>) => ({
      a: tf.matMul(i.x as tf.Tensor2D, w),
      b: tf.mul(tf.reshape(i.x as tf.Tensor, [8, 1]), tf.reshape(w, [1, 24])), // a view of w made inside the pass
    });
    const want = tf.tidy(() => Object.fromEntries(Object.entries(fn({ x })).map(([k, t]) => [k, Array.from(t.dataSync())])));
    const trace = traceKernels({ x }, fn);
    assert.equal(trace.constants.size, 1, 'one constant: w');
    const got = await runOnnx(toOnnx(trace, INFO), { x });
    for (const k of ['a', 'b']) assertClose(k, (got[k] as ort.Tensor).data as Float32Array, want[k] as number[], 1e-6);
    tf.dispose([x, w]);
  });
});

test('a kernel with no ONNX form stops the export, naming it', async () => {
  await onTraceBackend(async () => {
    const x = tf.ones([2, 3]);
    const trace = traceKernels({ x }, (i) => ({ y: tf.cumsum(tf.mul(i.x as tf.Tensor, 2), 1) }));
    x.dispose();
    assert.deepEqual(missingKernels(trace), ['Cumsum']);
    assert.throws(() => toOnnx(trace, INFO), /no form for the tfjs kernel\(s\) Cumsum/);
  });
});

const stats = (mean: number, std: number, threshold: number) => ({ mean, std, threshold, policy: 'val-f1' });
const SCORING: ScoringJson = {
  discriminator: stats(0.3, 0.02, 0.7),
  residual: stats(-0.2, 0.01, 0.8),
  input: stats(0.1, 0.05, 0.6),
  distillation: stats(-0.01, 0.002, 0.7),
  position: stats(-6, 0.5, 0.5),
  'input+position': stats(0.2, 1.5, 0.55),
  trainImages: 8,
  date: '2026-11-30T12:00:00.000Z',
};

for (const [presetName, score, batch] of [
  ['digitanatomy-fast', 'input+position', 1],
  ['tiny', 'distillation', 3],
] as const) {
  test(`an ONNX export of a run (${presetName}, ${score}, batch ${batch}) scores as squid score does, within 1e-4`, async () => {
    await withTempDir('onnx', async (dir) => {
      const preset = { ...getPreset(presetName), score };
      disposeState(await writeSeededRun(join(dir, 'run'), preset, SCORING));
      const info = await exportOnnx(join(dir, 'run'), join(dir, 'out'), create, { batch });
      assert.equal(info.score, score);
      assert.equal(info.threshold, SCORING[score]?.threshold);
      const S = preset.model.imageSize;
      const images = tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.randomNormal([batch, S, S, 1], 0, 0.2, 'float32', 5), 1), 0.5), 0, 1));
      const session = await ort.InferenceSession.create(info.file);
      const out = await session.run({ image: new ort.Tensor('float32', images.dataSync() as Float32Array, [batch, S, S, 1]) });
      await session.release();
      const detector = await loadDetector(join(dir, 'run'));
      const px = S * S;
      const pixels = images.dataSync() as Float32Array;
      const want = await detector.scoreMany(Array.from({ length: batch }, (_, i) => pixels.slice(i * px, (i + 1) * px)));

      assertClose('score', (out.score as ort.Tensor).data as Float32Array, want.map((s) => s.score), 1e-4);
      assert.deepEqual(Array.from((out.abnormal as ort.Tensor).data as Uint8Array, Boolean), want.map((s) => s.anomalous), 'the calls');
      const recon = await detector.reconstruct(pixels.slice(0, px));
      assertClose('reconstruction', ((out.reconstruction as ort.Tensor).data as Float32Array).slice(0, px), recon, 1e-4);
      images.dispose();
    });
  });
}

test('sameGraph tells a pass that reads a value back into JavaScript (its graph would not follow the image) from one that does not', async () => {
  await onTraceBackend(async () => {
    const readsBack = (i: Record<string, tf.Tensor>) => ({ y: tf.mul(i.x as tf.Tensor, (i.x as tf.Tensor).dataSync()[0] as number) });
    const pure = (i: Record<string, tf.Tensor>) => ({ y: tf.mul(i.x as tf.Tensor, tf.max(i.x as tf.Tensor)) });
    const traces = (fn: typeof pure) =>
      [1, 2].map((seed) => {
        const x = tf.randomUniform([4], 0, 1, 'float32', seed);
        const t = traceKernels({ x }, fn);
        x.dispose();
        return t;
      });
    const [a, b] = traces(readsBack);
    assert.equal(sameGraph(a!, b!), false);
    const [c, d] = traces(pure);
    assert.equal(sameGraph(c!, d!), true);
  });
});
