/**
 * The whole-model workload of the bench and the profile: one training
 * iteration as src/train/trainer.ts runs it (discriminator step, then
 * generator step and queue writes, both with our Adam) and per-image
 * inference (reconstruction + discriminator score). Uses the real model
 * (src/model/squid.ts, createSquid) when present, else bench/synthetic.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolvePreset } from '../src/model/presetSchema.js';
import type { Preset } from '../src/model/presets.js';
import type { SquidModel } from '../src/model/types.js';
import { Adam } from '../src/train/adam.js';
import { Rng } from '../src/util/rng.js';
import { createSynthetic, type TrainableWorkload } from './synthetic.js';

export interface Workload {
  /** 'squid' (the real model) or 'synthetic' (stand-in). */
  kind: 'squid' | 'synthetic';
  preset: Preset;
  /** One D step + one G step on a batch (the batch is made once, seeded). */
  trainIteration(): void;
  /** Inference on one image: reconstruction, then the discriminator logit of it. */
  inferImage(): void;
  dispose(): void;
}

type CreateSquid = (preset: Preset, opts?: { seed: number }) => SquidModel;

async function findCreateSquid(): Promise<CreateSquid | undefined> {
  const path = '../src/model/squid.js';
  try {
    const mod = (await import(path)) as { createSquid?: CreateSquid };
    return mod.createSquid;
  } catch {
    return undefined;
  }
}

function adamPair(g: tf.Variable[], d: tf.Variable[], p: Preset): { g: Adam; d: Adam } {
  const t = p.train;
  return {
    g: new Adam(g, { lr: t.generatorLr, beta1: t.beta1, beta2: t.beta2, epsilon: t.epsilon, weightDecay: t.weightDecay }),
    d: new Adam(d, { lr: t.discriminatorLr, beta1: t.beta1, beta2: t.beta2, epsilon: 1e-8, weightDecay: 0 }),
  };
}

function step(vars: tf.Variable[], opt: Adam, loss: () => tf.Scalar): void {
  const r = tf.variableGrads(loss, vars);
  opt.apply(vars.map((v) => r.grads[v.name]));
  r.value.dataSync();
  r.value.dispose();
  tf.dispose(Object.values(r.grads).filter((t): t is tf.Tensor => t != null));
}

export async function makeWorkload(presetName: string, opts: { batch?: number; synthetic?: boolean } = {}): Promise<Workload> {
  const preset = resolvePreset(presetName);
  const batch = opts.batch ?? preset.train.batchSize;
  const S = preset.model.imageSize;
  const rng = new Rng(7);
  const px = new Float32Array(batch * S * S);
  for (let i = 0; i < px.length; i++) px[i] = rng.next();
  const x = tf.tensor4d(px, [batch, S, S, 1]);
  const one = tf.slice(x, [0, 0, 0, 0], [1, S, S, 1]) as tf.Tensor4D;
  const create = opts.synthetic ? undefined : await findCreateSquid();
  if (create) {
    const model = create(preset, { seed: 1 });
    const opt = adamPair(model.generatorVariables, model.discriminatorVariables, preset);
    return {
      kind: 'squid',
      preset,
      trainIteration() {
        step(model.discriminatorVariables, opt.d, () => model.discriminatorLoss(x, rng));
        let queries: tf.Tensor2D | undefined;
        step(model.generatorVariables, opt.g, () => {
          const s = model.generatorLoss(x, rng);
          queries = tf.keep(s.queries);
          return s.total;
        });
        if (queries) {
          model.writeQueues(queries);
          queries.dispose();
        }
      },
      inferImage() {
        tf.tidy(() => {
          const rec = model.reconstruct(one);
          model.discriminatorLogits(rec, 'per-image').dataSync();
        });
      },
      dispose() {
        opt.g.dispose();
        opt.d.dispose();
        model.dispose();
        tf.dispose([x, one]);
      },
    };
  }
  const w: TrainableWorkload = createSynthetic(preset, 1);
  const opt = adamPair(w.generatorVariables, w.discriminatorVariables, preset);
  return {
    kind: 'synthetic',
    preset,
    trainIteration() {
      step(w.discriminatorVariables, opt.d, () => w.discriminatorLoss(x));
      step(w.generatorVariables, opt.g, () => w.generatorLoss(x));
    },
    inferImage() {
      tf.tidy(() => {
        const rec = w.reconstruct(one);
        w.discriminatorLogits(rec).dataSync();
      });
    },
    dispose() {
      opt.g.dispose();
      opt.d.dispose();
      w.dispose();
      tf.dispose([x, one]);
    },
  };
}
