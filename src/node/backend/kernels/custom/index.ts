/**
 * The native kernels of squid-ts's custom ops (src/core/ops/<op>/): one file
 * per op here, one list. Their JavaScript versions are registered for cpu
 * by src/core/ops/registry.ts, under the same names; a native kernel that
 * declines its inputs falls back to them.
 */
import type { NativeAddon } from '../../native/addon.js';
import type { NativeKernel } from '../types.js';
import { adamUpdateKernel } from './adamUpdate.js';
import { batchMomentsKernel, batchNormGradKernel } from './batchNormTrain.js';
import { convAddReluKernel } from './convAddRelu.js';
import { residualBlockKernel } from './residualBlock.js';
import { perImageNormKernel } from './perImageNorm.js';
import { layerNormKernel } from './layerNorm.js';
import { sparseReadKernel } from './sparseRead.js';
import { reluGradKernel } from './reluGrad.js';

export function customKernels(addon: NativeAddon): NativeKernel[] {
  return [
    adamUpdateKernel(addon),
    batchMomentsKernel(addon),
    batchNormGradKernel(addon),
    convAddReluKernel(addon),
    residualBlockKernel(addon),
    perImageNormKernel(addon),
    layerNormKernel(addon),
    sparseReadKernel(addon),
    reluGradKernel(addon),
  ];
}
