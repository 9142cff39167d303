/**
 * Tolerance: 1e-4 relative on outputs and losses; 1e-3 relative (+1e-6
 * absolute, for gradients that are zero in exact arithmetic such as a conv
 * bias before batch norm) on gradients after a whole backward pass.
 * The whole SQUID model (tiny preset) on the native backend against tfjs-cpu:
 * inference outputs and one generator and one discriminator training step's
 * gradients, from the same seed, masks and batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { resolvePreset } from '../../../src/core/squid/presetSchema.js';
import { createSquid } from '../../../src/core/model/squid.js';
import { Rng } from '../../../src/core/util/rng.js';
import { assertClose, nativeSkipReason } from './nativeHarness.js';

const skip = await nativeSkipReason();

interface Result {
  outputs: Float32Array[];
  gGrads: Map<string, Float32Array>;
  dGrads: Map<string, Float32Array>;
  gLoss: number;
  dLoss: number;
}

function batch(size: number, n: number): Float32Array {
  const rng = new Rng(11);
  return Float32Array.from({ length: n * size * size }, () => rng.next());
}

async function runModel(backend: string): Promise<Result> {
  await tf.setBackend(backend);
  const preset = resolvePreset('tiny');
  const S = preset.model.imageSize;
  const model = createSquid(preset, { seed: 5 });
  const x = tf.tensor4d(batch(S, 2), [2, S, S, 1]);
  const outputs = tf.tidy(() => [model.reconstruct(x), model.discriminatorLogits(x, 'per-image')]).map((t) => {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  });
  const names = (vars: tf.Variable[]) => vars.map((v, i) => `${i}:${v.shape.join('x')}`);
  const d = tf.variableGrads(() => model.discriminatorLoss(x, new Rng(3)), model.discriminatorVariables);
  const dGrads = new Map(names(model.discriminatorVariables).map((n, i) => [n, Float32Array.from(d.grads[model.discriminatorVariables[i]!.name]!.dataSync())]));
  const g = tf.variableGrads(() => {
    const s = model.generatorLoss(x, new Rng(4));
    s.queries.dispose();
    return s.total;
  }, model.generatorVariables);
  const gGrads = new Map<string, Float32Array>();
  names(model.generatorVariables).forEach((n, i) => {
    const t = g.grads[model.generatorVariables[i]!.name];
    if (t) gGrads.set(n, Float32Array.from(t.dataSync()));
  });
  const res = { outputs, gGrads, dGrads, gLoss: g.value.dataSync()[0]!, dLoss: d.value.dataSync()[0]! };
  tf.dispose([x, d.value, g.value, ...Object.values(d.grads), ...Object.values(g.grads)]);
  model.dispose();
  return res;
}

test('SQUID (tiny) outputs and one training step\'s gradients on native equal tfjs-cpu\'s', { skip }, async () => {
  const cpu = await runModel('cpu');
  const nat = await runModel('native');
  cpu.outputs.forEach((o, i) => assertClose(nat.outputs[i]!, o, 1e-4, `output ${i}`));
  assert.ok(Math.abs(nat.dLoss - cpu.dLoss) <= 1e-4 * Math.max(1, Math.abs(cpu.dLoss)), `D loss ${nat.dLoss} vs ${cpu.dLoss}`);
  assert.ok(Math.abs(nat.gLoss - cpu.gLoss) <= 1e-4 * Math.max(1, Math.abs(cpu.gLoss)), `G loss ${nat.gLoss} vs ${cpu.gLoss}`);
  let worst = 0;
  for (const [name, ref] of cpu.dGrads) worst = Math.max(worst, assertClose(nat.dGrads.get(name)!, ref, 1e-3, `D grad ${name}`, 1e-6));
  assert.equal(nat.gGrads.size, cpu.gGrads.size);
  for (const [name, ref] of cpu.gGrads) worst = Math.max(worst, assertClose(nat.gGrads.get(name)!, ref, 1e-3, `G grad ${name}`, 1e-6));
  process.stdout.write(`# worst relative gradient error ${worst.toExponential(2)} over ${cpu.gGrads.size + cpu.dGrads.size} tensors\n`);
});
