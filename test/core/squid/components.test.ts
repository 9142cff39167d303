import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { Rng } from '../../../src/core/util/rng.js';
import { ParamStore } from '../../../src/core/model/params.js';
import { ResidualBlock } from '../../../src/core/squid/residualBlock.js';
import { UpBlock } from '../../../src/core/squid/upBlock.js';
import { BatchNorm, batchNormTrain } from '../../../src/core/squid/batchNorm.js';
import { splitPatches, assemblePatches } from '../../../src/core/squid/patches.js';
import { Encoder } from '../../../src/core/squid/encoder.js';
import { MemoryQueue } from '../../../src/core/squid/memoryQueue.js';
import { MemoryMatrix } from '../../../src/core/squid/memoryMatrix.js';
import { gumbelShrinkage, hardShrink, shrinkTopK, shrinkTopKOps } from '../../../src/core/squid/gumbelShrinkage.js';
import { memoryRead } from '../../../src/core/squid/memoryRead.js';
import { InpaintingBlock, neighbourIndex, neighbourScoreBias } from '../../../src/core/squid/inpaintingBlock.js';
import { MultiHeadAttention } from '../../../src/core/squid/multiHeadAttention.js';
import { DecoderMemory } from '../../../src/core/squid/decoderMemory.js';
import { Decoder } from '../../../src/core/squid/decoder.js';
import { Discriminator } from '../../../src/core/squid/discriminator.js';
import { gradCam } from '../../../src/core/model/gradCam.js';
import { bceWithLogits, mse } from '../../../src/core/squid/losses.js';
import { positionCode } from '../../../src/core/squid/positionCode.js';
import { applyOverrides } from '../../../src/core/squid/presetSchema.js';
import { featureShapes } from '../../../src/core/model/summary.js';
import { microPreset, images, maxAbsDiff } from './modelHarness.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../../../src/core/squid/context.js';

before(async () => {
  await useBackend('auto', { quiet: true });
});

const arr = (t: tf.Tensor): number[] => Array.from(t.dataSync());

test('residual block and up block: output shapes (stride 1 and 2, concat or not)', () => {
  const store = new ParamStore(1);
  const x = images(2, 8);
  const b1 = new ResidualBlock(store, 'b1', 1, 3, 1);
  const b2 = new ResidualBlock(store, 'b2', 3, 4, 2);
  const y1 = b1.apply(x, trainingContext());
  assert.deepEqual(y1.shape, [2, 8, 8, 3]);
  const y2 = b2.apply(y1, inferenceContext());
  assert.deepEqual(y2.shape, [2, 4, 4, 4]);
  assert.ok(arr(y2).every((v) => v >= 0), 'ReLU output');
  const upCat = new UpBlock(store, 'u1', 4 + 3, 2, true);
  assert.deepEqual(upCat.apply(y2, y1, trainingContext()).shape, [2, 8, 8, 2]);
  const up = new UpBlock(store, 'u2', 4, 2, false);
  assert.deepEqual(up.apply(y2, images(2, 16), trainingContext()).shape, [2, 16, 16, 2]);
  // 3 conv (k*k*in*out + out) + 3 BN (2 out): block(1,3) = 9*1*3 + 18*9 + 9*3
  assert.equal(store.countTrainable(['b1/']), 9 * 1 * 3 + 18 * 3 * 3 + 9 * 3);
  store.dispose();
});

test('batch norm: batch statistics in training, running statistics (momentum 0.1, unbiased variance) after', () => {
  const store = new ParamStore(1);
  const bn = new BatchNorm(store, 'bn', 2);
  const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [2, 2, 1, 2]);
  const y = bn.apply(x, trainingContext());
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  assert.ok(arr(mean).every((v) => Math.abs(v) < 1e-5));
  assert.ok(arr(variance).every((v) => Math.abs(v - 1) < 1e-3));
  // channel 0 values 1..4: mean 2.5, unbiased var 5/3; channel 1: x10
  const rm = arr(bn.runningMean);
  const rv = arr(bn.runningVar);
  assert.ok(Math.abs((rm[0] as number) - 0.25) < 1e-6 && Math.abs((rm[1] as number) - 2.5) < 1e-5);
  assert.ok(Math.abs((rv[0] as number) - (0.9 + 0.1 * (5 / 3))) < 1e-5);
  assert.ok(Math.abs((rv[1] as number) - (0.9 + 0.1 * (500 / 3))) < 1e-3);
  // running mode uses those statistics; per-image mode normalizes each image alone
  const r = bn.apply(x, inferenceContext('running'));
  assert.ok(Math.abs((arr(r)[0] as number) - (1 - 0.25) / Math.sqrt((rv[0] as number) + 1e-5)) < 1e-5);
  const p = bn.apply(x, inferenceContext('per-image'));
  const pm = tf.moments(p, [1, 2]);
  assert.ok(arr(pm.mean).every((v) => Math.abs(v) < 1e-5));
  store.dispose();
});

test('patches: split in reading order, assemble inverts it', () => {
  const x = tf.tensor4d(Array.from({ length: 32 }, (_, i) => i), [2, 4, 4, 1]);
  const p = splitPatches(x, 2);
  assert.deepEqual(p.shape, [8, 2, 2, 1]);
  assert.deepEqual(arr(p.slice([1, 0, 0, 0], [1, 2, 2, 1])), [2, 3, 6, 7]); // image 0, top-right
  assert.deepEqual(arr(p.slice([6, 0, 0, 0], [1, 2, 2, 1])), [24, 25, 28, 29]); // image 1, bottom-left
  assert.equal(maxAbsDiff(assemblePatches(p, 2), x), 0);
});

test('encoder: per-patch skips, the first initialCombine re-assembled, bottleneck per patch', () => {
  const preset = microPreset();
  const store = new ParamStore(1);
  const enc = new Encoder(store, 'enc', preset.model);
  const { bottleneck, skips } = enc.apply(images(2, 16), trainingContext());
  assert.deepEqual(bottleneck.shape, [8, 2, 2, 4]);
  assert.deepEqual(skips.map((s) => s.shape), [
    [2, 16, 16, 2],
    [8, 4, 4, 4],
  ]);
  // `squid info` reports the same shapes (per image / per patch)
  const info = featureShapes(preset).filter((f) => f.stage.startsWith('encoder'));
  assert.deepEqual(info.map((f) => f.shape), [...skips, bottleneck].map((t) => t.shape.slice(1)));
  assert.deepEqual(info.map((f) => f.layout), ['full image', 'per patch', 'per patch']);
  store.dispose();
});

test('memory queue: FIFO per position, pointer wraps, old entries overwritten in order', () => {
  const store = new ParamStore(1);
  const q = new MemoryQueue(store, 'q', 2, 3, 2);
  const before = q.memory.arraySync() as number[][][];
  // rows r go to queue r % 2
  q.write(tf.tensor2d([[1, 1], [2, 2], [3, 3], [4, 4]]));
  assert.deepEqual(q.pointers, [2, 2]);
  let m = q.memory.arraySync() as number[][][];
  assert.deepEqual(m[0]!.slice(0, 2), [[1, 1], [3, 3]]);
  assert.deepEqual(m[1]!.slice(0, 2), [[2, 2], [4, 4]]);
  assert.deepEqual(m[0]![2], before[0]![2]);
  q.write(tf.tensor2d([[5, 5], [6, 6], [7, 7], [8, 8]]));
  assert.deepEqual(q.pointers, [1, 1]);
  m = q.memory.arraySync() as number[][][];
  assert.deepEqual(m[0], [[7, 7], [3, 3], [5, 5]]);
  assert.deepEqual(m[1], [[8, 8], [4, 4], [6, 6]]);
  // more rows than slots: the last ones win, pointer advances by the row count
  q.write(tf.tensor2d(Array.from({ length: 8 }, (_, i) => [10 + i, 10 + i])));
  assert.deepEqual(q.pointers, [2, 2]);
  m = q.memory.arraySync() as number[][][];
  assert.deepEqual(m[0], [[14, 14], [16, 16], [12, 12]]);
  assert.equal(store.countTrainable(['q/']), 0, 'the queue is not trainable');
  // reading gives no gradient to the queue, matrices do get one
  const mat = new MemoryMatrix(store, 'mat', 2, 3, 2);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.add(tf.sum(q.read(a as tf.Tensor3D, 2, true, 'train')), tf.sum(mat.read(b as tf.Tensor3D, 2, true, 'train'))));
  const [ga] = g([tf.ones([2, 1, 2]), tf.ones([2, 1, 2])]);
  assert.deepEqual(ga!.shape, [2, 1, 2]);
  const gm = tf.variableGrads(() => tf.sum(mat.read(tf.ones([2, 1, 2]) as tf.Tensor3D, 2, true, 'train')), [mat.memory]);
  assert.ok(arr(gm.grads[mat.memory.name]!).some((v) => v !== 0));
  store.dispose();
});

test('Gumbel shrinkage: forward keeps exactly k entries per row (L1 = 1), gradient equals softmax gradient', () => {
  const rng = new Rng(3);
  const w = tf.tensor2d(Array.from({ length: 5 * 20 }, () => rng.normal() * 3), [5, 20]);
  for (const k of [1, 4, 7]) {
    const h = gumbelShrinkage(w, k) as tf.Tensor2D;
    const rows = h.arraySync();
    const y = tf.softmax(w).arraySync();
    rows.forEach((row, i) => {
      assert.equal(row.filter((v) => v > 0).length, k, `row ${i} k=${k}`);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      const topIdx = [...y[i]!.keys()].sort((a, b) => y[i]![b]! - y[i]![a]!).slice(0, k);
      for (const j of topIdx) assert.ok(row[j]! > 0, 'the k largest are kept');
    });
  }
  const c = tf.tensor2d(Array.from({ length: 100 }, () => rng.normal()), [5, 20]);
  const gSt = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gumbelShrinkage(t, 4), c)))(w);
  const gSm = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), c)))(w);
  assert.ok(maxAbsDiff(gSt, gSm) < 1e-7);
  assert.ok(arr(gSt).some((v) => Math.abs(v) > 1e-4));
  // disabled: plain softmax forward
  assert.ok(maxAbsDiff(gumbelShrinkage(w, 4, false), tf.softmax(w)) < 1e-7);
  // k >= slots keeps every entry
  assert.ok(maxAbsDiff(hardShrink(tf.softmax(w), 20), tf.softmax(w)) < 1e-6);
});

test('shrinkTopK: the one-kernel version equals the tfjs ops (weights and indices, ties to the lower index)', () => {
  const rng = new Rng(9);
  for (const [rows, S, k] of [[5, 20, 4], [3, 9, 8], [4, 200, 1]] as const) {
    const v = Array.from({ length: rows * S }, () => rng.normal());
    // ties: row 0 repeats its first values, including around the threshold
    for (let i = 0; i < 6; i++) v[S - 1 - i] = v[i] as number;
    const y = tf.softmax(tf.tensor2d(v, [rows, S]));
    const got = shrinkTopK(y, k);
    const ref = shrinkTopKOps(y, k);
    assert.equal(got.indices.dtype, 'int32');
    assert.deepEqual(got.weights.shape, [rows, k]);
    assert.deepEqual(arr(got.indices), arr(ref.indices), `indices S=${S} k=${k}`);
    assert.ok(maxAbsDiff(got.weights, ref.weights) < 1e-6, `weights S=${S} k=${k}: ${maxAbsDiff(got.weights, ref.weights)}`);
    const sums = arr(tf.sum(got.weights, 1));
    assert.ok(arr(got.weights).every((w) => w >= 0) && sums.every((t) => Math.abs(t - 1) < 1e-5), 'non-negative, L1 = 1 per row');
  }
  // exact ties at the threshold: nothing above t beyond the first k; all-equal rows get the L1 floor, not NaN
  const flat = shrinkTopK(tf.fill([2, 6], 1 / 6), 3);
  assert.deepEqual(arr(flat.indices), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(arr(flat.weights), arr(shrinkTopKOps(tf.fill([2, 6], 1 / 6), 3).weights));
});

test('memory read at inference (only the k non-zero rows read) equals the dense read', () => {
  const rng = new Rng(8);
  const rand = (shape: number[], scale: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal() * scale), shape);
  // [memories, rows, slots, dim, k]: one memory, several, k = slots - 1
  for (const [M, B, S, d, k] of [[1, 3, 20, 7, 4], [4, 2, 30, 5, 1], [3, 5, 9, 6, 8]] as const) {
    const q = rand([M, B, d], 1) as tf.Tensor3D;
    const mem = rand([M, S, d], 1) as tf.Tensor3D;
    const dense = memoryRead(q, mem, k, true, 'train');
    const sparse = memoryRead(q, mem, k, true, 'inference');
    assert.deepEqual(sparse.shape, [M, B, d]);
    assert.ok(maxAbsDiff(sparse, dense) < 1e-5, `M=${M} B=${B} S=${S} k=${k}: ${maxAbsDiff(sparse, dense)}`);
    // the read-out is not the plain softmax read (the test would pass with a dense softmax otherwise)
    assert.ok(maxAbsDiff(dense, memoryRead(q, mem, k, false, 'train')) > 1e-3);
    // without shrinkage, inference reads densely (softmax)
    assert.ok(maxAbsDiff(memoryRead(q, mem, k, false, 'inference'), memoryRead(q, mem, k, false, 'train')) < 1e-6);
  }
});

test('multi-head attention: identical keys give the value projection whatever the query', () => {
  const store = new ParamStore(2);
  const mha = new MultiHeadAttention(store, 'mha', 8, 8);
  const rng = new Rng(1);
  const token = tf.tensor2d([Array.from({ length: 8 }, () => rng.normal())]);
  const kv = tf.tile(tf.reshape(token, [1, 1, 8]), [2, 8, 1]) as tf.Tensor3D;
  const q = tf.tensor2d(Array.from({ length: 16 }, () => rng.normal()), [2, 8]);
  const out = mha.apply(q, kv);
  assert.deepEqual(out.shape, [2, 8]);
  const vw = store.get('mha/in_proj_v/weight')!;
  const ow = store.get('mha/out_proj/weight')!;
  const expected = tf.matMul(tf.matMul(token, vw as tf.Tensor2D), ow as tf.Tensor2D); // biases start at 0
  assert.ok(maxAbsDiff(out.slice([0, 0], [1, 8]), expected) < 1e-5);
  assert.ok(maxAbsDiff(out.slice([1, 0], [1, 8]), expected) < 1e-5);
  assert.equal(store.countTrainable(['mha/']), 4 * 8 * 8 + 4 * 8);
  store.dispose();
});

test('in-painting block: 8-neighbourhoods, position code, shapes, masked shortcut only in training', () => {
  const idx = Array.from(neighbourIndex(3));
  assert.deepEqual(idx.slice(4 * 8, 5 * 8), [0, 1, 2, 3, 5, 6, 7, 8]);
  assert.deepEqual(idx.slice(0, 8), [9, 9, 9, 9, 1, 9, 3, 4]);
  const code = positionCode(1, 4, 1).arraySync() as number[][][][];
  assert.deepEqual(code.map((c) => c[0]![0]), [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]]);

  const preset = applyOverrides(microPreset(), { model: { maskKeepProb: 0.5 } });
  const store = new ParamStore(1);
  const block = new InpaintingBlock(store, 'inp', preset.model, 4, 2);
  const x = tf.randomNormal([8, 2, 2, 4], 0, 1, 'float32', 7) as tf.Tensor4D;
  const inf1 = block.apply(x, inferenceContext());
  const inf2 = block.apply(x, inferenceContext());
  assert.deepEqual(inf1.features.shape, [8, 2, 2, 4]);
  assert.deepEqual(inf1.queries.shape, [8, 8]);
  assert.equal(maxAbsDiff(inf1.features, inf2.features), 0);
  const t1 = block.apply(x, trainingContext(new Rng(1))).features;
  const t2 = block.apply(x, trainingContext(new Rng(2))).features;
  assert.ok(maxAbsDiff(t1, t2) > 0, 'different masks in training');
  // where the mask dropped a position, the block input shows through
  const t3 = block.apply(x, trainingContext(new Rng(1))).features;
  assert.equal(maxAbsDiff(t1, t3), 0, 'same rng, same masks');
  const noMask = applyOverrides(preset, { model: { ablation: { maskedShortcut: false } } });
  const store2 = new ParamStore(1);
  const block2 = new InpaintingBlock(store2, 'inp', noMask.model, 4, 2);
  const a = block2.apply(x, trainingContext(new Rng(1))).features;
  const b = block2.apply(x, trainingContext(new Rng(2))).features;
  assert.equal(maxAbsDiff(a, b), 0, 'no masks when the shortcut is off');
  // conv1 (4*2) + bn (4) + MHA(8) + 2 LN + FF(8->4->8) + conv2 ((2+3)*4+4) + bn (8)
  assert.equal(store.countTrainable(['inp/']), 8 + 4 + (4 * 64 + 4 * 8) + 2 * 16 + (8 * 4 + 4 + 4 * 8 + 8) + (5 * 4 + 4) + 8);
  store.dispose();
  store2.dispose();
});

test('decoder memory: windows (shared by patches) or one per patch position; shapes kept', () => {
  for (const windows of [1, 2]) {
    const preset = applyOverrides(microPreset(), { model: { decoderMemoryWindows: windows } });
    const store = new ParamStore(1);
    const mem = new DecoderMemory(store, 'mem', preset.model, 4, 4);
    assert.deepEqual(mem.matrix.memory.shape, windows === 1 ? [4, 6, 64] : [4, 6, 16]);
    const x = tf.randomNormal([8, 4, 4, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    assert.deepEqual(mem.apply(x, inferenceContext()).shape, [8, 4, 4, 4]);
    assert.deepEqual(mem.apply(x, trainingContext(new Rng(1))).shape, [8, 4, 4, 4]);
    store.dispose();
  }
});

test('decoders: student and teacher levels and reconstruction shapes', () => {
  const preset = microPreset();
  const store = new ParamStore(1);
  const enc = new Encoder(store, 'enc', preset.model);
  const student = new Decoder(store, 'student', preset.model, true);
  const teacher = new Decoder(store, 'teacher', preset.model, false);
  const { bottleneck, skips } = enc.apply(images(2, 16), trainingContext());
  const decode = (d: Decoder, ctx: ForwardContext): { levels: tf.Tensor4D[]; recon: tf.Tensor4D } => {
    const levels: tf.Tensor4D[] = [];
    let h = bottleneck;
    for (let i = 0; i < d.levels; i++) levels.push((h = d.level(i, h, skips[d.levels - 1 - i]!, ctx)));
    return { levels, recon: d.output(h, ctx) };
  };
  const s = decode(student, trainingContext(new Rng(1)));
  assert.deepEqual(s.levels.map((l) => l.shape), [
    [8, 4, 4, 4],
    [2, 16, 16, 2],
  ]);
  assert.deepEqual(s.recon.shape, [2, 16, 16, 1]);
  const r = arr(s.recon);
  assert.ok(r.every((v) => v > 0 && v < 1));
  assert.deepEqual(decode(teacher, trainingContext()).recon.shape, [2, 16, 16, 1]);
  assert.ok(store.countTrainable(['student/']) > store.countTrainable(['teacher/']), 'only the student has memories');
  store.dispose();
});

test('discriminator and Grad-CAM: logits [N], cam [N,S,S,1] in [0,1] with max 1', () => {
  const preset = applyOverrides(microPreset(), { model: { discriminatorChannels: [2, 4, 4] } });
  const store = new ParamStore(1);
  const d = new Discriminator(store, 'd', preset.model);
  const x = images(3, 16);
  assert.deepEqual(d.lastConv(x, inferenceContext('per-image')).shape, [3, 2, 2, 4]);
  const logits = d.apply(x, inferenceContext('per-image'));
  assert.deepEqual(logits.shape, [3]);
  // per-image BN: an image's logit does not depend on the rest of the batch
  const alone = d.apply(x.slice([1, 0, 0, 0], [1, 16, 16, 1]), inferenceContext('per-image'));
  assert.ok(Math.abs((arr(logits)[1] as number) - (arr(alone)[0] as number)) < 1e-5);
  const cam = gradCam(d, x);
  assert.deepEqual(cam.shape, [3, 16, 16, 1]);
  const mx = arr(tf.max(cam, [1, 2, 3]));
  const v = arr(cam);
  assert.ok(v.every((e) => e >= 0 && e <= 1 + 1e-6));
  assert.ok(mx.every((m) => m === 0 || Math.abs(m - 1) < 1e-5));
  store.dispose();
});

test('losses: BCE with logits matches the definition and stays finite for large logits; MSE', () => {
  const z = tf.tensor1d([-3, -0.5, 0, 2, 4]);
  const p = tf.sigmoid(z);
  const naive1 = tf.neg(tf.mean(tf.log(p)));
  const naive0 = tf.neg(tf.mean(tf.log(tf.sub(1, p))));
  assert.ok(Math.abs(bceWithLogits(z, 1).dataSync()[0]! - naive1.dataSync()[0]!) < 1e-5);
  assert.ok(Math.abs(bceWithLogits(z, 0).dataSync()[0]! - naive0.dataSync()[0]!) < 1e-5);
  const big = bceWithLogits(tf.tensor1d([-200, 200]), 1).dataSync()[0]!;
  assert.ok(Number.isFinite(big) && Math.abs(big - 100) < 1e-3);
  assert.ok(Math.abs(mse(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])).dataSync()[0]! - 2.5) < 1e-6);
});

test('finite differences agree with the gradient of a tiny residual block (conv, BN, ReLU)', () => {
  const store = new ParamStore(5);
  const block = new ResidualBlock(store, 'b', 1, 2, 2);
  const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
  const c = tf.randomNormal([3, 2, 2, 2], 0, 1, 'float32', 12);
  const loss = (): tf.Scalar => tf.sum(tf.mul(block.apply(x, trainingContext()), c));
  const kernel = store.get('b/conv1/kernel')!;
  const gamma = store.get('b/bn3/gamma')!;
  const { grads } = tf.variableGrads(loss, [kernel, gamma]);
  const eps = 1e-3;
  let checked = 0;
  for (const v of [kernel, gamma]) {
    const g = arr(grads[v.name]!);
    const base = arr(v);
    for (let i = 0; i < base.length; i += 2) {
      const at = (delta: number): number => {
        const vals = base.slice();
        vals[i] = (vals[i] as number) + delta;
        v.assign(tf.tensor(vals, v.shape));
        return loss().dataSync()[0] as number;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      const analytic = g[i] as number;
      assert.ok(Math.abs(numeric - analytic) <= 2e-2 * Math.max(1, Math.abs(analytic)), `${v.name}[${i}]: numeric ${numeric} vs analytic ${analytic}`);
      checked++;
    }
  }
  assert.ok(checked >= 10);
  store.dispose();
});

test('batch norm backward (closed form) equals autodiff of the composite, including the batch statistics', () => {
  const x = tf.randomNormal([3, 2, 2, 4], 1, 2, 'float32', 21) as tf.Tensor4D;
  const gamma = tf.randomNormal([4], 1, 0.5, 'float32', 22) as tf.Tensor1D;
  const beta = tf.randomNormal([4], 0, 1, 'float32', 23) as tf.Tensor1D;
  const c = tf.randomNormal([3, 2, 2, 4], 0, 1, 'float32', 24);
  const custom = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    return tf.sum(tf.mul(batchNormTrain(xx as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, mean as tf.Tensor1D, variance as tf.Tensor1D), c));
  };
  const composite = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    const y = tf.add(tf.mul(tf.mul(tf.sub(xx, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
    return tf.sum(tf.mul(y, c));
  };
  assert.ok(Math.abs(custom(x, gamma, beta).dataSync()[0]! - composite(x, gamma, beta).dataSync()[0]!) < 1e-4);
  const ga = tf.grads(custom)([x, gamma, beta]);
  const gb = tf.grads(composite)([x, gamma, beta]);
  ga.forEach((g, i) => assert.ok(maxAbsDiff(g, gb[i]!) < 1e-4, `input ${i}`));
  assert.ok(arr(ga[0]!).some((v) => Math.abs(v) > 1e-3));
});

test('in-painting attention over shared tokens equals attention over each patch\'s explicit 8 neighbours', () => {
  const preset = applyOverrides(microPreset(), { model: { patchesPerSide: 4, imageSize: 32 } });
  const store = new ParamStore(4);
  const mha = new MultiHeadAttention(store, 'mha', 8, 8);
  const N = 16;
  const B = 2;
  const reads = tf.randomNormal([B, N, 8], 0, 1, 'float32', 31);
  const q = tf.randomNormal([B, N, 8], 0, 1, 'float32', 32);
  const tokens = tf.concat([reads, tf.zeros([B, 1, 8])], 1) as tf.Tensor3D;
  const idx = neighbourIndex(preset.model.patchesPerSide);
  const shared = mha.attend(q as tf.Tensor3D, tokens, neighbourScoreBias(preset.model.patchesPerSide));
  const explicit = tf.gather(tokens, tf.tensor1d(idx, 'int32'), 1); // [B, N*8, 8]
  const direct = mha.apply(tf.reshape(q, [B * N, 8]) as tf.Tensor2D, tf.reshape(explicit, [B * N, 8, 8]) as tf.Tensor3D);
  assert.ok(maxAbsDiff(tf.reshape(shared, [B * N, 8]), direct) < 1e-5);
  store.dispose();
});

test('tfjs-internals patches: one version check; the loaded tfjs-core is a known one, others are refused by name', async () => {
  const { tfjsInternalsKnown, requireKnownTfjs, PATCHED_TFJS_VERSIONS } = await import('../../../src/core/tfjs/version.js');
  assert.ok(tfjsInternalsKnown(), `loaded tfjs-core ${tf.version_core} is not in ${PATCHED_TFJS_VERSIONS.join(', ')}`);
  assert.ok(tfjsInternalsKnown('4.22.7'));
  assert.equal(tfjsInternalsKnown('5.0.0'), false);
  assert.throws(() => requireKnownTfjs('stopGradient (detach.ts)', '5.0.0'), /stopGradient \(detach\.ts\) patches tfjs-core internals known for 4\.22, but tfjs-core 5\.0\.0 is loaded/);
});
