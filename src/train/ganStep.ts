/**
 * One iteration of the reference GAN loop on a batch: a discriminator step,
 * then (when asked: every n_critic-th iteration) a generator step followed by
 * the memory-queue writes. Shared by the trainer and the benchmark, so the
 * benchmark times exactly what training runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preset } from '../model/presets.js';
import type { SquidModel } from '../model/types.js';
import type { Rng } from '../util/rng.js';
import { Adam } from './adam.js';

export interface OptimizerPair {
  g: Adam;
  d: Adam;
}

export function createOptimizers(model: SquidModel, preset: Preset): OptimizerPair {
  const t = preset.train;
  return {
    g: new Adam(model.generatorVariables, {
      lr: t.generatorLr,
      beta1: t.beta1,
      beta2: t.beta2,
      epsilon: t.epsilon,
      weightDecay: t.weightDecay,
    }),
    // The reference's discriminator Adam: same betas, torch's default eps, no decay, no schedule.
    d: new Adam(model.discriminatorVariables, {
      lr: t.discriminatorLr,
      beta1: t.beta1,
      beta2: t.beta2,
      epsilon: 1e-8,
      weightDecay: 0,
    }),
  };
}

/** Sees each loss value before its update is applied; throw to stop before the update. */
export type LossCheck = (name: string, value: number) => void;

/** x: [B,S,S,1]. Updates the model in place; the caller keeps ownership of x. */
export async function ganStep(
  model: SquidModel,
  opt: OptimizerPair,
  x: tf.Tensor4D,
  rng: Rng,
  generatorStep: boolean,
  check: LossCheck,
): Promise<void> {
  // Discriminator step.
  const dVars = model.discriminatorVariables;
  const d = tf.variableGrads(() => model.discriminatorLoss(x, rng), dVars);
  try {
    check('discriminator', (await d.value.data())[0] as number);
    opt.d.apply(dVars.map((v) => d.grads[v.name]));
  } finally {
    d.value.dispose();
    tf.dispose(Object.values(d.grads).filter((g): g is tf.Tensor => g != null));
  }
  if (!generatorStep) return;
  // Generator step, then the queue writes.
  const gVars = model.generatorVariables;
  let parts: Record<string, tf.Scalar> = {};
  let queries: tf.Tensor2D | undefined;
  const g = tf.variableGrads(() => {
    const step = model.generatorLoss(x, rng);
    parts = Object.fromEntries(Object.entries(step.parts).map(([k, v]) => [k, tf.keep(v)]));
    queries = tf.keep(step.queries);
    return step.total;
  }, gVars);
  try {
    const names = Object.keys(parts);
    const stacked = tf.tidy(() => tf.stack([g.value, ...names.map((k) => parts[k] as tf.Scalar)]));
    const values = await stacked.data();
    stacked.dispose();
    check('generator', values[0] as number);
    names.forEach((k, i) => check(k, values[i + 1] as number));
    opt.g.apply(gVars.map((v) => g.grads[v.name]));
    if (queries) model.writeQueues(queries);
  } finally {
    g.value.dispose();
    tf.dispose(Object.values(g.grads).filter((t): t is tf.Tensor => t != null));
    tf.dispose(Object.values(parts));
    queries?.dispose();
  }
}
