/**
 * How one forward pass runs: the paper's train and eval modes as the one
 * explicit argument every component's apply takes.
 *  training: batch norm with the batch's statistics, the running ones
 *    updated ('train-shared': moved as by the reference's two forwards of
 *    the same batch); the masked shortcut's masks and the Gumbel noise drawn
 *    from rng (only the generator draws: the discriminator needs none);
 *  inference: batch norm with the running statistics, or with each image's
 *    own ('per-image': the reference scores with the discriminator that
 *    way); no masks, no noise, hard top-k memory reads.
 */
import type { Rng } from '../util/rng.js';

/** How batch norm normalizes in a pass (batchNorm.ts). */
export type BnMode = 'train' | 'train-shared' | 'running' | 'per-image';

export type ForwardContext =
  | { readonly training: true; readonly bn: Extract<BnMode, 'train' | 'train-shared'>; readonly rng?: Rng }
  | { readonly training: false; readonly bn: Extract<BnMode, 'running' | 'per-image'> };

export function trainingContext(rng?: Rng, bn: 'train' | 'train-shared' = 'train'): ForwardContext {
  return { training: true, bn, rng };
}

export function inferenceContext(bn: 'running' | 'per-image' = 'running'): ForwardContext {
  return { training: false, bn };
}

/** The training randomness of a context (an error when a generator component trains without it). */
export function trainingRng(ctx: ForwardContext, who: string): Rng {
  if (!ctx.training || !ctx.rng) throw new Error(`${who}: a training forward needs an rng (masks, Gumbel noise)`);
  return ctx.rng;
}
