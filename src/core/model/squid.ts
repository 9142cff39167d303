/**
 * createSquid(preset): the whole SQUID model (src/core/squid/) behind the
 * SquidModel contract of types.ts: its variables (ParamStore), its memory
 * queue's writes, its saved state, and the tensor lifetimes of each call
 * (every call frees what it made but its result). The speed and memory
 * tactics (src/core/tactics/) are installed here, once, when the model is
 * built.
 *
 * getState() adds "<queue>/pointers" (int32) to the variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import { scoreKindsOf, type Preset, type ScoreKind } from '../squid/presets.js';
import { validatePreset } from '../squid/presetSchema.js';
import type { DiscriminatorBnMode, GeneratorStep, SharedGeneratorForward, SquidModel } from './types.js';
import type { Rng } from '../util/rng.js';
import { ParamStore } from './params.js';
import {
  buildSquidModules,
  generate,
  GENERATOR_PREFIX,
  DISCRIMINATOR_PREFIX,
  PATCH_MEMORY_NAME,
  type Generated,
  type SquidModules,
} from '../squid/squid.js';
import type { PatchMemory } from '../squid/patchMemory.js';
import type { PositionHead } from '../squid/positionHead.js';
import { MemoryQueue } from '../squid/memoryQueue.js';
import { stopGradient } from '../tfjs/detach.js';
import { mse, bceWithLogits } from '../squid/losses.js';
import { gradCam } from './gradCam.js';
import { inferenceContext, trainingContext, type ForwardContext } from '../squid/context.js';
import type { InferenceScope } from '../tactics/scope.js';
import { installTactics } from '../tactics/install.js';

class Squid implements SquidModel {
  readonly generatorVariables: tf.Variable[];
  readonly discriminatorVariables: tf.Variable[];
  readonly scoreKinds: readonly ScoreKind[];
  private readonly store: ParamStore;
  private readonly m: SquidModules;

  constructor(readonly preset: Preset, seed: number) {
    this.store = new ParamStore(seed);
    this.m = buildSquidModules(this.store, preset.model);
    installTactics(this.m, preset.model, this.store.inference);
    this.generatorVariables = this.store.trainable([GENERATOR_PREFIX]);
    this.discriminatorVariables = this.store.trainable([DISCRIMINATOR_PREFIX]);
    this.scoreKinds = scoreKindsOf(preset.model);
  }

  get inferenceScope(): InferenceScope {
    return this.store.inference;
  }

  private get queue(): MemoryQueue | undefined {
    const mem = this.m.inpainting?.memory;
    return mem instanceof MemoryQueue ? mem : undefined;
  }

  /** The generator's forward (src/core/squid/squid.ts); training refuses a model compiled for inference. */
  private generate(x: tf.Tensor4D, ctx: ForwardContext, withTeacher: boolean): Generated {
    if (ctx.training) this.inferenceScope.assertTrainable();
    return generate(this.m, this.preset.model, x, ctx, withTeacher);
  }

  discriminatorLoss(x: tf.Tensor4D, rng: Rng): tf.Scalar {
    const fake = stopGradient(this.generate(x, trainingContext(rng), false).recon);
    return this.discriminatorLossOn(x, fake);
  }

  discriminatorLossOn(x: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
    this.inferenceScope.assertTrainable();
    const d = this.m.discriminator;
    const real = bceWithLogits(d.apply(x, trainingContext()), 1);
    const faked = bceWithLogits(d.apply(fake, trainingContext()), 0);
    return tf.mul(tf.add(real, faked), this.preset.train.lossWeights.discriminator);
  }

  adversarialLoss(recon: tf.Tensor4D): tf.Scalar {
    this.inferenceScope.assertTrainable();
    return tf.mul(bceWithLogits(this.m.discriminator.apply(recon, trainingContext()), 1), this.preset.train.lossWeights.generator);
  }

  /** The non-adversarial generator losses of a training forward (kept: they outlive tidy scopes). */
  private generatorParts(x: tf.Tensor4D, rng: Rng, shared: boolean): SharedGeneratorForward {
    const w = this.preset.train.lossWeights;
    const g = this.generate(x, trainingContext(rng, shared ? 'train-shared' : 'train'), true);
    const zero = (): tf.Scalar => tf.scalar(0);
    const reconstruction = tf.mul(mse(g.recon, x), w.reconstruction) as tf.Scalar;
    const teacher = g.teacherRecon ? (tf.mul(mse(g.teacherRecon, x), w.teacher) as tf.Scalar) : zero();
    const distillation = g.distillation ? (tf.mul(g.distillation, w.distillation) as tf.Scalar) : zero();
    const queries = g.queries ? stopGradient(g.queries) : (tf.zeros([0, 1]) as tf.Tensor2D);
    const parts: SharedGeneratorForward['parts'] = { reconstruction, teacher, distillation };
    if (g.position) parts.position = tf.mul(g.position, this.preset.model.positionLoss ?? 0) as tf.Scalar;
    for (const p of Object.values(parts)) tf.keep(p);
    tf.keep(queries);
    return { recon: g.recon, parts, queries };
  }

  sharedGeneratorForward(x: tf.Tensor4D, rng: Rng): SharedGeneratorForward {
    return this.generatorParts(x, rng, true);
  }

  generatorLoss(x: tf.Tensor4D, rng: Rng): GeneratorStep {
    const g = this.generatorParts(x, rng, false);
    const adversarial = tf.keep(this.adversarialLoss(g.recon));
    const total = tf.addN([...Object.values(g.parts), adversarial]) as tf.Scalar;
    return { total, parts: { ...g.parts, adversarial }, queries: g.queries };
  }

  writeQueues(queries: tf.Tensor2D): void {
    const q = this.queue;
    if (q && queries.shape[0] > 0) q.write(queries);
  }

  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.generate(x, inferenceContext(), false).recon);
  }

  reconstructWithGap(x: tf.Tensor4D): { recon: tf.Tensor4D; gap: tf.Tensor1D } {
    return tf.tidy(() => {
      if (!this.m.teacher) return { recon: this.generate(x, inferenceContext(), false).recon, gap: tf.zeros([x.shape[0]]) as tf.Tensor1D };
      const g = this.generate(x, inferenceContext(), true);
      return { recon: g.recon, gap: g.gap as tf.Tensor1D };
    });
  }

  private get patchMemory(): PatchMemory {
    const pm = this.m.patchMemory;
    if (!pm) throw new Error(`preset "${this.preset.name}" has no patch memory (model.patchMemory)`);
    return pm;
  }

  /** The deepest per-patch encoder map, inference mode: [B*N, s, s, C] */
  private patchMap(x: tf.Tensor4D): tf.Tensor4D {
    const { skips } = this.m.encoder.apply(x, inferenceContext());
    return skips[skips.length - 1] as tf.Tensor4D;
  }

  patchFeatures(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => this.patchMemory.features(this.patchMap(x)));
  }

  patchDistances(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.patchMemory.nearest(this.patchMemory.features(this.patchMap(x))));
  }

  patchZ(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.patchMemory.zMap(this.patchMap(x)));
  }

  memoryScores(x: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => this.patchMemory.score(this.patchMap(x)));
  }

  private get positionHead(): PositionHead {
    const h = this.m.positionHead;
    if (!h) throw new Error(`preset "${this.preset.name}" has no position task (model.positionLoss)`);
    return h;
  }

  positionLogProbs(x: tf.Tensor4D): tf.Tensor2D {
    const N = this.preset.model.patchesPerSide ** 2;
    return tf.tidy(() => tf.reshape(this.positionHead.logProbs(this.patchMap(x)), [-1, N]) as tf.Tensor2D);
  }

  positionScores(x: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => tf.min(this.positionLogProbs(x), 1) as tf.Tensor1D);
  }

  patchMemoryFilled(): boolean {
    return this.m.patchMemory?.isFilled() ?? false;
  }

  fillPatchMemory(slots: tf.Tensor3D, center: tf.Tensor1D, scale: tf.Tensor1D): void {
    this.patchMemory.fill(slots, center, scale);
  }

  discriminatorLogits(x: tf.Tensor4D, bn: DiscriminatorBnMode = 'per-image'): tf.Tensor1D {
    return tf.tidy(() => this.m.discriminator.apply(x, inferenceContext(bn)));
  }

  gradCam(x: tf.Tensor4D): tf.Tensor4D {
    return gradCam(this.m.discriminator, x, inferenceContext('per-image'));
  }

  getState(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.store.entries()) out[name] = tf.clone(v);
    const q = this.queue;
    if (q) out[`${q.name}/pointers`] = tf.tensor1d(q.pointers, 'int32');
    return out;
  }

  setState(state: Record<string, tf.Tensor>): void {
    const q = this.queue;
    const pointerName = q ? `${q.name}/pointers` : undefined;
    const check = (name: string, shape: number[]): tf.Tensor => {
      const t = state[name];
      if (t === undefined) throw new Error(`model state: missing entry "${name}"`);
      if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
        throw new Error(`model state: "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
      }
      return t;
    };
    // a state without the patch memory (a checkpoint) leaves it empty
    const memoryPrefix = `${PATCH_MEMORY_NAME}/`;
    const withoutMemory = this.m.patchMemory !== undefined && state[`${memoryPrefix}slots`] === undefined;
    const entries = this.store.entries().filter(([name]) => !(withoutMemory && name.startsWith(memoryPrefix)));
    for (const [name, v] of entries) {
      const t = check(name, v.shape);
      if (t.dtype !== 'float32') throw new Error(`model state: "${name}" is ${t.dtype}, expected float32`);
    }
    let pointers: number[] | undefined;
    if (q && pointerName) {
      pointers = Array.from(check(pointerName, [q.numQueues]).dataSync());
      const bad = pointers.find((p) => !Number.isInteger(p) || p < 0 || p >= q.slots);
      if (bad !== undefined) throw new Error(`model state: "${pointerName}" holds ${bad}, outside [0, ${q.slots})`);
    }
    for (const [name, v] of entries) {
      const t = state[name] as tf.Tensor;
      v.assign(t);
    }
    if (q && pointers) pointers.forEach((p, i) => (q.pointers[i] = p));
    this.inferenceScope.invalidate(); // forms derived from the old weights
    if (withoutMemory) this.m.patchMemory?.clear();
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** A SQUID model with seeded weights (same preset and seed: identical weights). */
export function createSquid(preset: Preset, opts: { seed?: number } = {}): SquidModel {
  validatePreset(preset);
  return new Squid(preset, opts.seed ?? 0);
}

/**
 * The stable name of a model variable (the getState() key), from its tfjs
 * name `squid<k>/<stable name>` (k differs between model instances).
 */
export function stableVariableName(v: tf.Variable): string {
  return v.name.replace(/^squid\d+\//, '');
}
