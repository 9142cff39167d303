/**
 * installTactics(modules, config, scope): the one place where the speed and
 * memory tactics of src/core/tactics/ are put into the paper's components
 * (src/core/squid/), once, when a model is built (src/core/model/squid.ts).
 * Each stand-in computes the same math as the block it replaces:
 *  - every residual block of the encoder and of both decoders: its own
 *    tidy; folded when compiled (residualBlock.ts). The encoder's
 *    full-image level inputs are consumed by the block that reads them;
 *  - every up block of both decoders: its own tidy (scoped.ts).
 * The standalone convolutions and the in-painting block's 1x1 convolutions
 * take their inference forms from the same InferenceScope
 * (foldedConvBn.ts).
 */
import { ResidualBlock, type Block } from '../squid/residualBlock.js';
import { UpBlock } from '../squid/upBlock.js';
import type { SquidModules } from '../squid/squid.js';
import type { ModelConfig } from '../squid/presets.js';
import type { InferenceScope } from './scope.js';
import { TacticalResidualBlock } from './residualBlock.js';
import { ScopedUp } from './scoped.js';

export function installTactics(m: SquidModules, config: ModelConfig, scope: InferenceScope): void {
  const tactical = (b: Block, consumesInput = false): Block =>
    b instanceof ResidualBlock ? new TacticalResidualBlock(b, scope, consumesInput) : b;
  m.encoder.inBlock = tactical(m.encoder.inBlock);
  // the encoder keeps only the shape of a full-image skip (encoder.ts): its down block is its last reader
  m.encoder.downs.forEach((b, i) => (m.encoder.downs[i] = tactical(b, i < config.initialCombine)));
  for (const decoder of [m.student, m.teacher]) {
    decoder?.ups.forEach((up, i) => {
      if (up instanceof UpBlock) up.block = tactical(up.block);
      decoder.ups[i] = new ScopedUp(up);
    });
  }
}
