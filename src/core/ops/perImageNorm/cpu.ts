/** The JavaScript kernel of perImageNorm for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import { sliceNormCpu } from '../sliceNorm.js';
import { PER_IMAGE_NORM, perImageGeometry } from './op.js';

/** The cpu kernel. */
export const perImageNormCpu = sliceNormCpu(PER_IMAGE_NORM, perImageGeometry);
