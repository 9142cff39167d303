import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { Rng } from '../../../src/core/util/rng.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { countParameters } from '../../../src/core/model/summary.js';
import { ABLATIONS } from '../../../src/core/squid/presets.js';
import type { SquidModel } from '../../../src/core/model/types.js';
import { microPreset, images, maxAbsDiff } from './modelHarness.js';
import { rawOf, scoreBatch, type ScoreKind } from '../../../src/core/score/scorer.js';

before(async () => {
  await useBackend('auto', { quiet: true });
});

const value = (t: tf.Tensor): number => t.dataSync()[0] as number;

function trainStep(m: SquidModel, x: tf.Tensor4D, rng: Rng, optD: tf.Optimizer, optG: tf.Optimizer): { d: number; g: number } {
  const d = optD.minimize(() => m.discriminatorLoss(x, rng), true, m.discriminatorVariables) as tf.Scalar;
  let queries: tf.Tensor2D | undefined;
  let parts: tf.Scalar[] = [];
  const g = optG.minimize(
    () => {
      const step = m.generatorLoss(x, rng);
      queries = step.queries;
      parts = Object.values(step.parts);
      return step.total;
    },
    true,
    m.generatorVariables,
  ) as tf.Scalar;
  m.writeQueues(queries as tf.Tensor2D);
  const out = { d: value(d), g: value(g) };
  tf.dispose([d, g, queries as tf.Tensor2D, ...parts]);
  return out;
}

test('createSquid: same seed gives identical weights, another seed different ones; variable lists match the counts', () => {
  const p = microPreset();
  const a = createSquid(p, { seed: 7 });
  const b = createSquid(p, { seed: 7 });
  const c = createSquid(p, { seed: 8 });
  const sa = a.getState();
  const sb = b.getState();
  const sc = c.getState();
  for (const k of Object.keys(sa)) assert.equal(maxAbsDiff(sa[k]!, sb[k]!), 0, k);
  assert.ok(maxAbsDiff(sa['generator/encoder/in/conv1/kernel']!, sc['generator/encoder/in/conv1/kernel']!) > 0);
  const counts = countParameters(p);
  const size = (vs: tf.Variable[]): number => vs.reduce((n, v) => n + v.size, 0);
  assert.equal(size(a.generatorVariables), counts.generator);
  assert.equal(size(a.discriminatorVariables), counts.discriminator);
  assert.ok(a.generatorVariables.every((v) => v.trainable));
  tf.dispose([...Object.values(sa), ...Object.values(sb), ...Object.values(sc)]);
  [a, b, c].forEach((m) => m.dispose());
});

test('losses are finite, shaped as the contract says; training is reproducible from the rng', () => {
  const p = microPreset();
  const x = images(2, 16);
  const run = (): { d: number; g: number }[] => {
    const m = createSquid(p, { seed: 1 });
    const rng = new Rng(3);
    const optD = tf.train.adam(1e-3, 0.5, 0.999);
    const optG = tf.train.adam(1e-3, 0.5, 0.999, 1e-7);
    const out = [trainStep(m, x, rng, optD, optG), trainStep(m, x, rng, optD, optG)];
    const step = m.generatorLoss(x, rng);
    assert.deepEqual(step.queries.shape, [2 * 4, 8]);
    for (const part of Object.values(step.parts)) assert.ok(Number.isFinite(value(part)));
    tf.dispose([step.total, step.queries, ...Object.values(step.parts)]);
    optD.dispose();
    optG.dispose();
    m.dispose();
    return out;
  };
  const first = run();
  for (const s of first) assert.ok(Number.isFinite(s.d) && Number.isFinite(s.g));
  assert.deepEqual(run(), first);
});

test('inference: two passes give identical reconstructions and logits (no masks); shapes', () => {
  const m = createSquid(microPreset(), { seed: 1 });
  const x = images(3, 16);
  // a training step first, so running statistics and queues are non-trivial
  trainStep(m, images(2, 16, 5), new Rng(1), tf.train.adam(1e-3), tf.train.adam(1e-3));
  const r1 = m.reconstruct(x);
  const r2 = m.reconstruct(x);
  assert.deepEqual(r1.shape, [3, 16, 16, 1]);
  assert.equal(maxAbsDiff(r1, r2), 0);
  const l1 = m.discriminatorLogits(x);
  const l2 = m.discriminatorLogits(x, 'running');
  assert.deepEqual(l1.shape, [3]);
  assert.deepEqual(l2.shape, [3]);
  assert.equal(maxAbsDiff(l1, m.discriminatorLogits(x)), 0);
  // per-image BN: a score never depends on the rest of the batch
  const single = m.discriminatorLogits(x.slice([2, 0, 0, 0], [1, 16, 16, 1]));
  assert.ok(Math.abs(l1.dataSync()[2]! - single.dataSync()[0]!) < 1e-5);
  const cam = m.gradCam(x);
  assert.deepEqual(cam.shape, [3, 16, 16, 1]);
  m.dispose();
});

test('score kinds: "input" is the discriminator logit of the image, "discriminator" of its reconstruction, "residual" -MSE, "distillation" -(per-image distillation term)', async () => {
  const m = createSquid(microPreset(), { seed: 2 });
  trainStep(m, images(2, 16, 5), new Rng(1), tf.train.adam(1e-3), tf.train.adam(1e-3));
  const x = images(3, 16, 7);
  const { raw: all } = await scoreBatch(m, x);
  const raw = Object.fromEntries(m.scoreKinds.map((k) => [k, rawOf(all, k)])) as Record<ScoreKind, Float32Array>;
  assert.ok(!m.scoreKinds.includes('memory'), 'a model without a patch memory has no memory score');
  const recon = m.reconstruct(x);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) =>
    Array.from(a).forEach((v, i) => assert.ok(Math.abs(v - (b[i] as number)) < 1e-5, `${what}[${i}]: ${v} vs ${b[i]}`));
  close(raw.input, m.discriminatorLogits(x).dataSync(), 'input');
  close(raw.discriminator, m.discriminatorLogits(recon).dataSync(), 'discriminator');
  close(raw.residual, tf.neg(tf.mean(tf.squaredDifference(x, recon), [1, 2, 3])).dataSync(), 'residual');
  assert.ok(Array.from(raw.input).some((v, i) => Math.abs(v - (raw.discriminator[i] as number)) > 1e-6), 'input and reconstruction logits differ');
  // each image's gap, scored alone, is its own distillation term; every gap is positive
  for (let i = 0; i < 3; i++) {
    const one = x.slice([i, 0, 0, 0], [1, 16, 16, 1]);
    const alone = m.reconstructWithGap(one);
    assert.ok(Math.abs(-(alone.gap.dataSync()[0] as number) - (raw.distillation[i] as number)) < 1e-5, `gap of image ${i}`);
    assert.ok((raw.distillation[i] as number) < 0);
    tf.dispose([one, alone.recon, alone.gap]);
  }
  // with the teacher switched off the kind is zero (no teacher, no gap)
  const noT = createSquid({ ...microPreset(), model: { ...microPreset().model, ablation: { ...microPreset().model.ablation, distillation: false } } }, { seed: 2 });
  const r2 = rawOf((await scoreBatch(noT, x)).raw, 'distillation');
  assert.ok(Array.from(r2).every((v) => v === 0), String(r2));
  // asked for fewer kinds, scoreBatch computes only those, with the same values
  const some = (await scoreBatch(m, x, { kinds: ['residual', 'input'] })).raw;
  assert.deepEqual(Object.keys(some).sort(), ['input', 'residual']);
  assert.deepEqual(Array.from(rawOf(some, 'input')), Array.from(raw.input));
  assert.deepEqual(Array.from(rawOf(some, 'residual')), Array.from(raw.residual));
  noT.dispose();
  m.dispose();
});

test('stop-gradient: the teacher loss gives no gradient to the encoder, and does with the switch off', () => {
  const x = images(2, 16);
  for (const stopGradient of [true, false]) {
    const m = createSquid(microPreset({ stopGradient }), { seed: 1 });
    const enc = m.generatorVariables.filter((v) => v.name.includes('/generator/encoder/'));
    const teacher = m.generatorVariables.filter((v) => v.name.includes('/generator/teacher/'));
    assert.ok(enc.length > 0 && teacher.length > 0);
    const kept: tf.Tensor[] = [];
    const { value: loss, grads } = tf.variableGrads(() => {
      const step = m.generatorLoss(x, new Rng(1));
      kept.push(step.queries, step.total, ...Object.values(step.parts));
      return step.parts.teacher;
    }, [...enc, ...teacher]);
    assert.ok(value(loss) > 0);
    const encNorm = enc.reduce((s, v) => s + (grads[v.name] ? tf.sum(tf.abs(grads[v.name]!)).dataSync()[0]! : 0), 0);
    const teacherNorm = teacher.reduce((s, v) => s + (grads[v.name] ? tf.sum(tf.abs(grads[v.name]!)).dataSync()[0]! : 0), 0);
    assert.ok(teacherNorm > 0, 'the teacher learns from its loss');
    if (stopGradient) assert.equal(encNorm, 0);
    else assert.ok(encNorm > 0, 'without stop-gradient the teacher loss reaches the encoder');
    tf.dispose([...kept, loss, ...Object.values(grads)]);
    m.dispose();
  }
});

test('queue writes: after a generator step the queues hold that step\'s queries (FIFO)', () => {
  const m = createSquid(microPreset(), { seed: 1 });
  const x = images(2, 16);
  const step = m.generatorLoss(x, new Rng(1));
  const q = step.queries.arraySync();
  m.writeQueues(step.queries);
  const state = m.getState();
  const mem = state['generator/inpaint/queue/memory']!.arraySync() as number[][][];
  // row r = image r / 4, position r % 4 goes to queue r % 4, slots 0 and 1
  for (let r = 0; r < q.length; r++) {
    const got = mem[r % 4]![Math.floor(r / 4)]!;
    assert.ok(got.every((v, i) => Math.abs(v - q[r]![i]!) < 1e-7));
  }
  assert.deepEqual(Array.from(state['generator/inpaint/queue/pointers']!.dataSync()), [2, 2, 2, 2]);
  tf.dispose([step.total, step.queries, ...Object.values(step.parts), ...Object.values(state)]);
  m.dispose();
});

test('getState/setState round trip restores weights, BN statistics, queues and pointers exactly', () => {
  const p = microPreset();
  const a = createSquid(p, { seed: 1 });
  const rng = new Rng(9);
  const optD = tf.train.adam(1e-2);
  const optG = tf.train.adam(1e-2);
  for (let i = 0; i < 3; i++) trainStep(a, images(2, 16, i), rng, optD, optG);
  const state = a.getState();
  const b = createSquid(p, { seed: 2 });
  const x = images(2, 16, 99);
  assert.ok(maxAbsDiff(a.reconstruct(x), b.reconstruct(x)) > 0);
  b.setState(state);
  assert.equal(maxAbsDiff(a.reconstruct(x), b.reconstruct(x)), 0);
  assert.equal(maxAbsDiff(a.discriminatorLogits(x), b.discriminatorLogits(x)), 0);
  const sb = b.getState();
  for (const k of Object.keys(state)) assert.equal(maxAbsDiff(state[k]!, sb[k]!), 0, k);
  // the state is a snapshot: training a further does not change it
  trainStep(a, images(2, 16, 5), rng, optD, optG);
  assert.equal(maxAbsDiff(state['generator/encoder/in/conv1/kernel']!, sb['generator/encoder/in/conv1/kernel']!), 0);
  // errors name the entry
  const missing = { ...state };
  delete missing['discriminator/linear/bias'];
  assert.throws(() => b.setState(missing), /missing entry "discriminator\/linear\/bias"/);
  const wrong = { ...state, 'generator/inpaint/queue/memory': tf.zeros([1, 2]) };
  assert.throws(() => b.setState(wrong), /"generator\/inpaint\/queue\/memory" has shape \[1,2\]/);
  tf.dispose([...Object.values(state), ...Object.values(sb)]);
  a.dispose();
  b.dispose();
});

test('every Table-2 ablation builds and trains one step with finite losses', () => {
  const x = images(2, 16);
  for (const row of ABLATIONS) {
    const m = createSquid(microPreset(row.switches), { seed: 1 });
    const r = trainStep(m, x, new Rng(1), tf.train.adam(1e-3), tf.train.adam(1e-3));
    assert.ok(Number.isFinite(r.d) && Number.isFinite(r.g), row.id);
    const rec = m.reconstruct(x);
    assert.deepEqual(rec.shape, [2, 16, 16, 1], row.id);
    rec.dispose();
    m.dispose();
  }
});

test('no tensors leak from a training step or inference', () => {
  const m = createSquid(microPreset(), { seed: 1 });
  const x = images(2, 16);
  const optD = tf.train.adam(1e-3);
  const optG = tf.train.adam(1e-3);
  trainStep(m, x, new Rng(1), optD, optG); // optimizer slots created here
  // the folded / constant inference weights are cached here (a training pass drops them)
  tf.dispose([m.reconstruct(x), m.discriminatorLogits(x)]);
  const before = tf.memory().numTensors;
  trainStep(m, x, new Rng(2), optD, optG);
  tf.dispose([m.reconstruct(x), m.discriminatorLogits(x), m.gradCam(x)]);
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});
