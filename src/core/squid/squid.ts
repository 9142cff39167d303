/**
 * SQUID's modules and its generator's forward pass (Fig. 2), as math: the
 * encoder cuts the image into patches and encodes them; the in-painting
 * block rebuilds each patch's bottleneck from the memory queue of its
 * position; the student decoder (with decoder memories) and the
 * memory-free teacher decode it; distillation pulls the student's levels
 * towards the teacher's. Memory scopes and inference forms are applied from
 * outside (src/core/tactics/); the model behind the SquidModel contract is
 * src/core/model/squid.ts.
 *
 * Variable names: generator/{encoder,inpaint,student,teacher}/..., and
 * discriminator/...
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './presets.js';
import { encoderSides } from './presetSchema.js';
import type { ParamStore } from '../model/params.js';
import { Encoder, type Skip } from './encoder.js';
import { InpaintingBlock } from './inpaintingBlock.js';
import { Decoder } from './decoder.js';
import { Discriminator } from './discriminator.js';
import { PatchMemory } from './patchMemory.js';
import { PositionHead } from './positionHead.js';
import { stopGradient } from '../tfjs/detach.js';
import { mse } from './losses.js';
import { trainingContext, type ForwardContext } from './context.js';

export const GENERATOR_PREFIX = 'generator/';
export const TEACHER_PREFIX = 'generator/teacher/';
export const DISCRIMINATOR_PREFIX = 'discriminator/';
export const PATCH_MEMORY_NAME = 'patchMemory';

export interface SquidModules {
  encoder: Encoder;
  inpainting: InpaintingBlock | undefined;
  student: Decoder;
  teacher: Decoder | undefined;
  discriminator: Discriminator;
  patchMemory: PatchMemory | undefined;
  /** The position task: its loss in training, the `position` score (absent: none). */
  positionHead: PositionHead | undefined;
}

/** Creates every module's variables in `store`. */
export function buildSquidModules(store: ParamStore, config: ModelConfig): SquidModules {
  const sides = encoderSides(config);
  const L = config.channels.length - 1;
  return {
    encoder: new Encoder(store, 'generator/encoder', config),
    inpainting: config.ablation.inpainting
      ? new InpaintingBlock(store, 'generator/inpaint', config, config.channels[L] as number, sides[L] as number)
      : undefined,
    student: new Decoder(store, 'generator/student', config, true),
    teacher: config.ablation.distillation ? new Decoder(store, 'generator/teacher', config, false) : undefined,
    discriminator: new Discriminator(store, 'discriminator', config),
    patchMemory: config.patchMemory
      ? new PatchMemory(store, PATCH_MEMORY_NAME, config.patchMemory, config.patchesPerSide ** 2, patchFeatureDim(config))
      : undefined,
    positionHead: (config.positionLoss ?? 0) > 0
      ? new PositionHead(store, 'generator/positionHead', config.patchesPerSide ** 2, patchFeatureDim(config))
      : undefined,
  };
}

/** Values of one patch's deepest per-patch encoder map (the patch memory's input). */
function patchFeatureDim(config: ModelConfig): number {
  const L = config.channels.length - 1;
  const side = encoderSides(config)[L - 1] as number;
  return (config.channels[L - 1] as number) * side * side;
}

export interface Generated {
  /** the student's reconstruction [B,S,S,1] */
  recon: tf.Tensor4D;
  /** the teacher's (with the teacher) */
  teacherRecon?: tf.Tensor4D;
  /** training: sum over levels of MSE(student level, teacher level) */
  distillation?: tf.Scalar;
  /** inference: the same per image, [B] */
  gap?: tf.Tensor1D;
  /** the in-painting queries [B*N, d] */
  queries?: tf.Tensor2D;
  /** the position task's cross-entropy on the deepest per-patch map (training with a position head) */
  position?: tf.Scalar;
}

/**
 * The generator (ctx: training or inference, context.ts); withTeacher: the
 * teacher decodes too (the generator step; the distillation score). A
 * shared training forward moves the running statistics as two forwards
 * would; the teacher's as one (the reference runs it only in the
 * generator step).
 */
export function generate(m: SquidModules, config: ModelConfig, x: tf.Tensor4D, ctx: ForwardContext, withTeacher: boolean): Generated {
  const { bottleneck, skips } = m.encoder.apply(x, ctx);
  const out: Generated = { recon: x };
  // the position task, in the generator step only
  if (ctx.training && withTeacher && m.positionHead) out.position = m.positionHead.loss(skips[skips.length - 1] as tf.Tensor4D);
  const inp = m.inpainting?.apply(bottleneck, ctx);
  if (inp) out.queries = inp.queries;
  // the teacher decodes the un-in-painted bottleneck; with stop-gradient, no gradient reaches the encoder through it
  const teacher = withTeacher ? m.teacher : undefined;
  const sg = config.ablation.stopGradient;
  const detach = (k: Skip): Skip => (sg && k instanceof tf.Tensor ? stopGradient(k) : k);
  const teacherCtx = ctx.training ? trainingContext(ctx.rng, 'train') : ctx;
  let s = inp ? inp.features : bottleneck;
  let t = teacher ? (sg ? stopGradient(bottleneck) : bottleneck) : undefined;
  // level by level, the student's and the teacher's side by side, with the
  // distillation term of each level (this order lets the backward pass free
  // each level's maps sooner than two whole decoders one after the other)
  const gaps: tf.Tensor[] = [];
  const L = m.student.levels;
  for (let i = 0; i < L; i++) {
    const skip = skips[L - 1 - i] as Skip;
    s = m.student.level(i, s, skip, ctx);
    if (teacher && t) {
      t = teacher.level(i, t, detach(skip), teacherCtx);
      gaps.push(ctx.training ? mse(s, t) : perImageSquaredGap(s, t, x.shape[0]));
    }
  }
  out.recon = m.student.output(s, ctx);
  if (!teacher || !t) return out;
  if (ctx.training) {
    out.teacherRecon = teacher.output(t, teacherCtx);
    out.distillation = tf.addN(gaps) as tf.Scalar;
  } else {
    out.gap = tf.addN(gaps) as tf.Tensor1D;
  }
  return out;
}

/** Mean squared difference per image: [B*N or B, h, w, c] (rows image-major) -> [B] */
function perImageSquaredGap(s: tf.Tensor4D, t: tf.Tensor4D, B: number): tf.Tensor1D {
  return tf.mean(tf.reshape(tf.squaredDifference(s, t), [B, -1]), 1) as tf.Tensor1D;
}
