/**
 * One iteration of the reference GAN loop on a batch: a discriminator step,
 * then (when asked: every n_critic-th iteration) a generator step followed by
 * the memory-queue writes. Shared by the trainer and the benchmark, so the
 * benchmark times exactly what training runs.
 *
 * Shared forward (the default when the iteration has a generator step): the
 * reference runs the generator forward twice, once without gradient for the
 * discriminator step and once for the generator step. Here one forward on
 * the generator's tape serves both: the discriminator step runs between the
 * generator's forward and backward passes (outside the tape) on the detached
 * reconstruction, then the gradient g = dL_adv/d recon is taken through the
 * updated discriminator, and the generator back-propagates
 *   L_rec + L_teacher + L_dist [+ L_position] + sum(g * recon)
 * whose gradient in the generator's weights is that of
 *   L_rec + L_teacher + L_dist [+ L_position] + L_adv   (the reference's generator loss,
 *   plus the position task where a preset adds it).
 * Same math: the discriminator step sees a reconstruction of the same batch
 * (one mask draw instead of two), the generator step uses the updated
 * discriminator, the queues get this forward's queries, and batch-norm
 * running statistics move as the reference's two forwards move them
 * (BnMode 'train-shared'). test/node/train/sharedForward.test.ts checks losses,
 * weights and state against the two-forward path with the same masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { outsideTape } from '../../core/tfjs/tapePause.js';
import type { Preset } from '../../core/squid/presets.js';
import type { SquidModel } from '../../core/model/types.js';
import type { Rng } from '../../core/util/rng.js';
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

export interface GanStepOptions {
  /** One generator forward for both steps (default true); false = the reference's two forwards. */
  sharedForward?: boolean;
}

/** x: [B,S,S,1]. Updates the model in place; the caller keeps ownership of x. */
export async function ganStep(
  model: SquidModel,
  opt: OptimizerPair,
  x: tf.Tensor4D,
  rng: Rng,
  generatorStep: boolean,
  check: LossCheck,
  opts: GanStepOptions = {},
): Promise<void> {
  if (generatorStep && opts.sharedForward !== false) {
    sharedStep(model, opt, x, rng, check);
    return;
  }
  // Discriminator step.
  const dVars = model.discriminatorVariables;
  const d = tf.variableGrads(() => model.discriminatorLoss(x, rng), dVars);
  applyChecked(d, dVars, opt.d, () => check('discriminator', d.value.dataSync()[0] as number));
  if (!generatorStep) return;
  // Generator step, then the queue writes.
  let parts: Record<string, tf.Scalar> = {};
  let queries: tf.Tensor2D | undefined;
  const g = tf.variableGrads(() => {
    const step = model.generatorLoss(x, rng);
    parts = Object.fromEntries(Object.entries(step.parts).map(([k, v]) => [k, tf.keep(v)]));
    queries = tf.keep(step.queries);
    return step.total;
  }, model.generatorVariables);
  generatorUpdate(model, opt.g, g, g.value.dataSync()[0] as number, parts, queries, check);
}

/** Runs the loss checks, then applies the gradients; frees the loss and gradients either way. */
function applyChecked(r: { value: tf.Scalar; grads: tf.NamedTensorMap }, vars: tf.Variable[], opt: Adam, checks: () => void): void {
  try {
    checks();
    opt.apply(vars.map((v) => r.grads[v.name]));
  } finally {
    r.value.dispose();
    tf.dispose(Object.values(r.grads).filter((t): t is tf.Tensor => t != null));
  }
}

/**
 * Checks the generator's total (default: the sum of the parts) and parts,
 * applies its gradients, writes the queues; frees parts and queries.
 */
function generatorUpdate(
  model: SquidModel, opt: Adam, g: { value: tf.Scalar; grads: tf.NamedTensorMap }, total: number | undefined,
  parts: Record<string, tf.Scalar>, queries: tf.Tensor2D | undefined, check: LossCheck,
): void {
  try {
    applyChecked(g, model.generatorVariables, opt, () => {
      const names = Object.keys(parts);
      const values = tf.tidy(() => tf.stack(names.map((k) => parts[k] as tf.Scalar))).dataSync();
      check('generator', total ?? Array.from(values).reduce((a, b) => a + b, 0));
      names.forEach((k, i) => check(k, values[i] as number));
    });
    if (queries) model.writeQueues(queries);
  } finally {
    tf.dispose(Object.values(parts));
    queries?.dispose();
  }
}

/** Both steps on one generator forward (see the file comment). Synchronous: it runs inside the generator's tape. */
function sharedStep(model: SquidModel, opt: OptimizerPair, x: tf.Tensor4D, rng: Rng, check: LossCheck): void {
  const gVars = model.generatorVariables;
  const dVars = model.discriminatorVariables;
  let parts: Record<string, tf.Scalar> = {};
  let queries: tf.Tensor2D | undefined;
  const step = (): tf.Scalar => {
    const fwd = model.sharedGeneratorForward(x, rng);
    queries = fwd.queries;
    parts = { ...fwd.parts };
    const { adversarial, dRecon } = outsideTape(() => {
      const fake = tf.clone(fwd.recon); // not on the generator's tape: a detached copy
      const d = tf.variableGrads(() => model.discriminatorLossOn(x, fake), dVars);
      applyChecked(d, dVars, opt.d, () => check('discriminator', d.value.dataSync()[0] as number));
      // the adversarial loss through the updated discriminator, and its gradient in the reconstruction
      const { value, grad } = tf.valueAndGrad((r: tf.Tensor) => model.adversarialLoss(r as tf.Tensor4D))(fake);
      fake.dispose();
      return { adversarial: tf.keep(value), dRecon: tf.keep(grad) };
    });
    parts.adversarial = adversarial;
    const surrogate = tf.sum(tf.mul(fwd.recon, dRecon)) as tf.Scalar; // d/d recon = dRecon
    const y = tf.addN([...Object.values(fwd.parts), surrogate]);
    dRecon.dispose();
    return y as tf.Scalar;
  };
  let g: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    g = tf.variableGrads(step, gVars);
  } catch (err) {
    // a loss check stopped the step: nothing is applied; free what the forward kept
    tf.dispose(Object.values(parts));
    queries?.dispose();
    throw err;
  }
  // g.value holds the surrogate, not the adversarial loss: the total is the sum of the parts
  generatorUpdate(model, opt.g, g, undefined, parts, queries, check);
}
