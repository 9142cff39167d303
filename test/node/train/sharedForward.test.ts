/**
 * ganStep's shared generator forward (one forward for the discriminator and
 * generator steps) against the reference's two forwards, with the same masks
 * in both forwards (a second Rng replays the first's stream): the losses,
 * and after two iterations every weight, batch-norm running statistic, Adam
 * moment and memory queue, must match.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { Rng } from '../../../src/core/util/rng.js';
import { createSquid } from '../../../src/core/model/squid.js';
import type { SquidModel } from '../../../src/core/model/types.js';
import { createOptimizers, ganStep, type OptimizerPair } from '../../../src/node/train/ganStep.js';
import { microPreset, images } from '../../core/squid/modelHarness.js';

before(async () => {
  await useBackend('auto', { quiet: true });
});

type Losses = Record<string, number>;

/** The reference iteration: D step on its own generator forward, then the G step on a second forward. */
function twoForwardIteration(m: SquidModel, opt: OptimizerPair, x: tf.Tensor4D, seed: number): Losses {
  const losses: Losses = {};
  const d = tf.variableGrads(() => m.discriminatorLoss(x, new Rng(seed)), m.discriminatorVariables);
  losses.discriminator = d.value.dataSync()[0] as number;
  opt.d.apply(m.discriminatorVariables.map((v) => d.grads[v.name]));
  tf.dispose([d.value, ...Object.values(d.grads)]);
  let parts: Record<string, tf.Scalar> = {};
  let queries: tf.Tensor2D | undefined;
  const g = tf.variableGrads(() => {
    const step = m.generatorLoss(x, new Rng(seed)); // the same masks as the D step's forward
    parts = step.parts as unknown as Record<string, tf.Scalar>;
    queries = step.queries;
    return step.total;
  }, m.generatorVariables);
  losses.generator = g.value.dataSync()[0] as number;
  for (const [k, v] of Object.entries(parts)) losses[k] = v.dataSync()[0] as number;
  opt.g.apply(m.generatorVariables.map((v) => g.grads[v.name]));
  m.writeQueues(queries as tf.Tensor2D);
  tf.dispose([g.value, ...Object.values(g.grads), ...Object.values(parts), queries as tf.Tensor2D]);
  return losses;
}

async function sharedIteration(m: SquidModel, opt: OptimizerPair, x: tf.Tensor4D, seed: number): Promise<Losses> {
  const losses: Losses = {};
  await ganStep(m, opt, x, new Rng(seed), true, (name, v) => (losses[name] = v));
  return losses;
}

function assertClose(a: number, b: number, tol: number, label: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${label}: shared ${a} vs two forwards ${b}`);
}

test('shared generator forward: same losses, weights, running statistics, Adam moments and queues as two forwards', async () => {
  const preset = microPreset();
  const x = images(preset.train.batchSize, preset.model.imageSize, 5);
  const ref = createSquid(preset, { seed: 3 });
  const got = createSquid(preset, { seed: 3 });
  const refOpt = createOptimizers(ref, preset);
  const gotOpt = createOptimizers(got, preset);
  for (const seed of [11, 12]) {
    const want = twoForwardIteration(ref, refOpt, x, seed);
    const have = await sharedIteration(got, gotOpt, x, seed);
    assert.deepEqual(Object.keys(have).sort(), Object.keys(want).sort());
    for (const k of Object.keys(want)) assertClose(have[k] as number, want[k] as number, 1e-5, `iteration ${seed - 10} loss ${k}`);
  }
  const a = got.getState();
  const b = ref.getState();
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  let changedRunning = 0;
  for (const [name, t] of Object.entries(b)) {
    const u = a[name] as tf.Tensor;
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(u, 'float32'), tf.cast(t, 'float32')))).dataSync()[0] as number);
    const scale = tf.tidy(() => tf.max(tf.abs(tf.cast(t, 'float32'))).dataSync()[0] as number);
    assert.ok(err <= 1e-5 * Math.max(1, scale), `${name}: max abs difference ${err}`);
    if (name.includes('running_mean') && !name.startsWith('discriminator')) changedRunning += scale > 0 ? 1 : 0;
  }
  assert.ok(changedRunning > 0, 'running means moved');
  // Adam moments: same after two iterations
  for (const [o, p] of [[gotOpt.g, refOpt.g], [gotOpt.d, refOpt.d]] as const) {
    const sa = o.getState('');
    const sb = p.getState('');
    for (const [k, t] of Object.entries(sb)) {
      const u = sa[k] as tf.Tensor;
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(u, t))).dataSync()[0] as number);
      const scale = tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0] as number);
      assert.ok(err <= 1e-4 * Math.max(1e-6, scale) + 1e-9, `Adam ${k}: max abs difference ${err} (scale ${scale})`);
    }
  }
  tf.dispose([...Object.values(a), ...Object.values(b), x]);
  for (const o of [refOpt, gotOpt]) {
    o.g.dispose();
    o.d.dispose();
  }
  ref.dispose();
  got.dispose();
});

test('shared generator forward: a NaN discriminator loss stops before any update', async () => {
  const preset = microPreset();
  const x = images(preset.train.batchSize, preset.model.imageSize, 6);
  const m = createSquid(preset, { seed: 4 });
  const opt = createOptimizers(m, preset);
  const before = m.getState();
  await assert.rejects(
    ganStep(m, opt, x, new Rng(1), true, (name) => {
      if (name === 'discriminator') throw new Error('stop: discriminator');
    }),
    /stop: discriminator/,
  );
  const after = m.getState();
  for (const [name, t] of Object.entries(before)) {
    if (name.startsWith('discriminator') && !name.includes('running')) {
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(after[name] as tf.Tensor, t))).dataSync()[0] as number);
      assert.equal(err, 0, `${name} unchanged`);
    }
  }
  // the engine is usable afterwards: an ordinary gradient works
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(t)))(tf.ones([3]));
  assert.deepEqual(Array.from(g.dataSync()), [2, 2, 2]);
  tf.dispose([...Object.values(before), ...Object.values(after), x, g]);
  opt.g.dispose();
  opt.d.dispose();
  m.dispose();
});
