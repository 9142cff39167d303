/**
 * The contract between the SQUID model (src/model) and the code that trains,
 * saves, scores and exports it (src/train, src/score, src/export, app/).
 * Shapes: images are NHWC [batch, size, size, 1], values in [0, 1].
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Preset, ScoreKind } from '../squid/presets.js';
import type { Rng } from '../util/rng.js';
import type { InferenceScope } from '../tactics/scope.js';

/** Named loss values of one generator step (already weighted as in the spec). */
export interface GeneratorLossParts {
  /** MSE(student reconstruction, x) x weight */
  reconstruction: tf.Scalar;
  /** MSE(teacher reconstruction, x) x weight */
  teacher: tf.Scalar;
  /** sum of per-level MSE(student, teacher) x weight */
  distillation: tf.Scalar;
  /** BCE(D(student), real) x weight */
  adversarial: tf.Scalar;
  /** the position task's cross-entropy x weight (models whose patch memory has a position loss) */
  position?: tf.Scalar;
}

export interface GeneratorStep {
  /** Sum of the parts: what the generator optimizer minimizes. */
  total: tf.Scalar;
  parts: GeneratorLossParts;
  /** Detached in-painting queries of this batch, [batch * P*P, queryDim], for queue writes. */
  queries: tf.Tensor2D;
}

/**
 * The generator's training-mode forward for a GAN iteration that shares it
 * between the discriminator step and the generator step (src/node/train/ganStep.ts):
 * everything of the generator step except the adversarial term.
 */
export interface SharedGeneratorForward {
  /** Student reconstruction, on the caller's gradient tape. [B,S,S,1] */
  recon: tf.Tensor4D;
  /** The non-adversarial, weighted losses (reconstruction, teacher, distillation, and position when the model has it). */
  parts: Omit<GeneratorLossParts, 'adversarial'>;
  /** Detached in-painting queries, [batch * P*P, queryDim], for queue writes. */
  queries: tf.Tensor2D;
}

/** How the discriminator's batch norm normalizes when scoring. */
export type DiscriminatorBnMode = 'per-image' | 'running';

export interface SquidModel {
  readonly preset: Preset;
  /** Trainable generator variables (encoder, in-painting, decoders incl. teacher, decoder memories). */
  readonly generatorVariables: tf.Variable[];
  /** Trainable discriminator variables. */
  readonly discriminatorVariables: tf.Variable[];
  /** Whether the model is compiled for inference (src/core/tactics/compile.ts); the training methods refuse it while it is. */
  readonly inferenceScope: InferenceScope;

  /**
   * Discriminator loss for one batch (spec: [BCE(D(x), real) + BCE(D(G(x)), fake)] x weight).
   * Runs the generator in training mode (running BN statistics update, masks
   * drawn from `rng`) with no gradient into it. Call inside optimizer.minimize.
   */
  discriminatorLoss(x: tf.Tensor4D, rng: Rng): tf.Scalar;

  /** Generator losses for one batch, training mode. Call inside optimizer.minimize. */
  generatorLoss(x: tf.Tensor4D, rng: Rng): GeneratorStep;

  /**
   * Generator forward for a shared GAN iteration (one forward serves the
   * discriminator step and the generator step). Batch-norm running statistics
   * of the encoder, in-painting block and student move as the reference's two
   * forwards of the same batch would move them; the teacher's once (the
   * reference runs it only in the generator step). Training mode, masks from rng.
   */
  sharedGeneratorForward(x: tf.Tensor4D, rng: Rng): SharedGeneratorForward;

  /** [BCE(D(x), real) + BCE(D(fake), fake)] x weight, for a fake the caller made (detached). */
  discriminatorLossOn(x: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar;

  /** BCE(D(recon), real) x generator weight: the generator's adversarial loss (D in training mode). */
  adversarialLoss(recon: tf.Tensor4D): tf.Scalar;

  /** FIFO-writes detached queries into the space-aware memory queues (training only). */
  writeQueues(queries: tf.Tensor2D): void;

  /** Student reconstruction in inference mode (BN running stats, no masks). [N,S,S,1] */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D;

  /**
   * reconstruct(x) and, per image, the teacher-student gap: the sum over
   * decoder levels of the mean squared difference between the student's
   * (memory-bound) and the teacher's (memory-free) level outputs, the
   * distillation term of one image. recon [N,S,S,1], gap [N] (zeros without
   * a teacher).
   */
  reconstructWithGap(x: tf.Tensor4D): { recon: tf.Tensor4D; gap: tf.Tensor1D };

  /** The score kinds this model computes (scoreKindsOf its preset). */
  readonly scoreKinds: readonly ScoreKind[];

  /** Patch-memory features of x, inference mode: [P*P, N, k] (patchMemory.ts). */
  patchFeatures(x: tf.Tensor4D): tf.Tensor3D;
  /** Squared distance of each patch of x to the nearest normal patch of its position: [N, P*P]. */
  patchDistances(x: tf.Tensor4D): tf.Tensor2D;
  /** Per patch, its distance z-scored on normal images of its position: [N, P*P]; throws while the patch memory is empty. */
  patchZ(x: tf.Tensor4D): tf.Tensor2D;
  /** The "memory" raw normality values [N] (-max of patchZ); throws while the patch memory is empty. */
  memoryScores(x: tf.Tensor4D): tf.Tensor1D;
  /** Per patch, the position head's log-probability of the patch's own grid position: [N, P*P] (models with a position task). */
  positionLogProbs(x: tf.Tensor4D): tf.Tensor2D;
  /** The "position" raw normality values [N]: the smallest of positionLogProbs over positions. */
  positionScores(x: tf.Tensor4D): tf.Tensor1D;
  /** Whether the patch memory holds normal features (false without one). */
  patchMemoryFilled(): boolean;
  /** Stores normal features [P*P, M, k] and the per-position distance mean and std [P*P]. */
  fillPatchMemory(slots: tf.Tensor3D, center: tf.Tensor1D, scale: tf.Tensor1D): void;

  /** Discriminator logits, one per image. [N] */
  discriminatorLogits(x: tf.Tensor4D, bn?: DiscriminatorBnMode): tf.Tensor1D;

  /**
   * Grad-CAM of the discriminator logit at its last conv layer, upsampled to
   * the input size and scaled to [0, 1] per image. [N,S,S,1]
   */
  gradCam(x: tf.Tensor4D): tf.Tensor4D;

  /**
   * Every tensor needed to restore the model exactly: trainable weights,
   * batch-norm running statistics, memory queues and their write pointers.
   * Names are stable across runs of the same preset.
   */
  getState(): Record<string, tf.Tensor>;
  /** Restores getState()'s output; throws naming the first missing or mis-shaped entry. */
  setState(state: Record<string, tf.Tensor>): void;

  dispose(): void;
}
