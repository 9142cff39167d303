/**
 * installTactics(modules, config, scope): the one place where the speed and
 * memory tactics of src/core/tactics/ are put into the paper's components
 * (src/core/squid/), once, when a model is built (src/core/model/squid.ts).
 * Each stand-in computes the same math as the block it replaces:
 *  - every residual block of the encoder and of both decoders: its own
 *    tidy; folded when compiled (residualBlock.ts). The encoder's
 *    full-image level inputs are consumed by the block that reads them;
 *  - every up block of both decoders: its own tidy (scoped.ts);
 *  - the decoders' output convolutions and the discriminator's
 *    convolutions: a constant copy when compiled; the in-painting block's
 *    two conv + BN + ReLU bottlenecks: one folded convolution when compiled
 *    (foldedLayers.ts).
 */
import { ResidualBlock, type Block } from '../squid/residualBlock.js';
import { UpBlock } from '../squid/upBlock.js';
import type { SquidModules } from '../squid/squid.js';
import type { ModelConfig } from '../squid/presets.js';
import type { InferenceScope } from './scope.js';
import { TacticalResidualBlock } from './residualBlock.js';
import { ScopedUp } from './scoped.js';
import { TacticalConv, TacticalConvBnRelu } from './foldedLayers.js';
import { Conv2d, ConvBnRelu, type MapLayer } from '../squid/layers.js';

export function installTactics(m: SquidModules, config: ModelConfig, scope: InferenceScope): void {
  const folded = (l: MapLayer): MapLayer =>
    l instanceof Conv2d ? new TacticalConv(l, scope) : l instanceof ConvBnRelu ? new TacticalConvBnRelu(l, scope) : l;
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
    if (decoder) decoder.out = folded(decoder.out);
  }
  m.discriminator.convs.forEach((c, i) => (m.discriminator.convs[i] = folded(c)));
  if (m.inpainting) {
    m.inpainting.bottleneck1 = folded(m.inpainting.bottleneck1);
    m.inpainting.bottleneck2 = folded(m.inpainting.bottleneck2);
  }
}
