/**
 * Corrections to tfjs-cpu kernels, installed for the 'cpu' backend (and so
 * inherited by 'native' wherever it has no kernel of its own):
 * - ResizeBilinearGrad: tfjs-cpu 4.22 ignores halfPixelCenters, so its
 *   gradient of a half-pixel resize (PyTorch's align_corners=False, the
 *   model's up blocks) is not the adjoint of the forward. Replaced by the
 *   exact adjoint (test/node/backend/resize.test.ts checks <dy, R x> = <R^T dy, x>).
 * - The fused kernels of src/node/backend/ops (Adam step, batch-norm moments
 *   and backward) get JavaScript versions on cpu.
 * Browser-safe (no Node imports).
 */
import * as tf from '@tensorflow/tfjs-core';
import { correctedResizeBilinearGrad } from './kernels/resize.js';
import { installCpuFusedKernels } from '../../core/ops/registry.js';

let installed = false;

export function installCpuFixes(): void {
  if (installed) return;
  installed = true;
  if (tf.getKernel(tf.ResizeBilinearGrad, 'cpu')) tf.unregisterKernel(tf.ResizeBilinearGrad, 'cpu');
  tf.registerKernel({ kernelName: tf.ResizeBilinearGrad, backendName: 'cpu', kernelFunc: correctedResizeBilinearGrad });
  installCpuFusedKernels();
}
