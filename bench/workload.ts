/**
 * The whole-model workload of the bench and the profile: one training
 * iteration exactly as src/node/train/trainer.ts runs it (ganStep: discriminator
 * step, then generator step and queue writes, both with our Adam) and
 * per-image inference (reconstruction + discriminator score), on the real
 * model (createSquid), compiled for inference as a Detector compiles it
 * (src/core/tactics/compile.ts) from the first inference call until the next
 * training iteration.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolvePreset } from '../src/core/squid/presetSchema.js';
import type { Preset } from '../src/core/squid/presets.js';
import { createSquid } from '../src/core/model/squid.js';
import { createOptimizers, ganStep, type OptimizerPair } from '../src/node/train/ganStep.js';
import { Rng } from '../src/core/util/rng.js';
import { hintWorkload } from '../src/core/ops/hints.js';
import { compileForInference, type CompiledInference } from '../src/core/tactics/compile.js';

export interface Workload {
  preset: Preset;
  /** One D step + one G step on a batch (the batch is made once, seeded). */
  trainIteration(): Promise<void>;
  /** Inference on one image: reconstruction, then the discriminator logit of it. */
  inferImage(): void;
  /** Inference on the whole batch (as `squid score` runs it, 16 at a time); per-image discriminator statistics. */
  inferBatch(): void;
  dispose(): void;
}

export interface WorkloadOptions {
  batch?: number;
  /** false: the reference's two generator forwards per iteration (ganStep's unshared path), for A/B timing */
  sharedForward?: boolean;
}

export async function makeWorkload(presetName: string, opts: WorkloadOptions = {}): Promise<Workload> {
  const preset = resolvePreset(presetName);
  const batch = opts.batch ?? preset.train.batchSize;
  const S = preset.model.imageSize;
  const rng = new Rng(7);
  const px = new Float32Array(batch * S * S);
  for (let i = 0; i < px.length; i++) px[i] = rng.next();
  const x = tf.tensor4d(px, [batch, S, S, 1]);
  const one = tf.slice(x, [0, 0, 0, 0], [1, S, S, 1]) as tf.Tensor4D;
  const model = createSquid(preset, { seed: 1 });
  // made on first use: inference never allocates Adam's moments (2 x the weights)
  let opt: OptimizerPair | undefined;
  let compiled: CompiledInference | undefined;
  const compile = (): void => {
    compiled ??= compileForInference(model);
  };
  return {
    preset,
    async trainIteration() {
      hintWorkload('training'); // as `squid train`
      compiled?.release();
      compiled = undefined;
      opt ??= createOptimizers(model, preset);
      await ganStep(model, opt, x, rng, true, () => undefined, { sharedForward: opts.sharedForward });
    },
    inferBatch() {
      hintWorkload('inference'); // as `squid score` and `squid eval`
      compile();
      tf.tidy(() => {
        const rec = model.reconstruct(x);
        model.discriminatorLogits(rec, 'per-image').dataSync();
      });
    },
    inferImage() {
      hintWorkload('inference');
      compile();
      tf.tidy(() => {
        const rec = model.reconstruct(one);
        model.discriminatorLogits(rec, 'per-image').dataSync();
      });
    },
    dispose() {
      compiled?.release();
      opt?.g.dispose();
      opt?.d.dispose();
      model.dispose();
      tf.dispose([x, one]);
    },
  };
}
