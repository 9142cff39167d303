/** The JavaScript kernel of layerNorm for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import { sliceNormCpu } from '../sliceNorm.js';
import { LAYER_NORM, layerGeometry } from './op.js';

/** The cpu kernel. */
export const layerNormCpu = sliceNormCpu(LAYER_NORM, layerGeometry);
