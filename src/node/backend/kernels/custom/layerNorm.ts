/** SquidLayerNorm on the native backend (src/core/ops/layerNorm/op.ts). */
import type { NativeAddon } from '../../native/addon.js';
import type { NativeKernel } from '../types.js';
import { LAYER_NORM, layerGeometry } from '../../../../core/ops/layerNorm/op.js';
import { sliceNormKernel } from './sliceNorm.js';

export function layerNormKernel(addon: NativeAddon): NativeKernel {
  return sliceNormKernel(addon, LAYER_NORM, layerGeometry);
}
