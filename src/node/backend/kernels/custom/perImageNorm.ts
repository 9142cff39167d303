/** SquidPerImageNorm on the native backend (src/core/ops/perImageNorm/op.ts). */
import type { NativeAddon } from '../../native/addon.js';
import type { NativeKernel } from '../types.js';
import { PER_IMAGE_NORM, perImageGeometry } from '../../../../core/ops/perImageNorm/op.js';
import { sliceNormKernel } from './sliceNorm.js';

export function perImageNormKernel(addon: NativeAddon): NativeKernel {
  return sliceNormKernel(addon, PER_IMAGE_NORM, perImageGeometry);
}
