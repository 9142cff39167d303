/**
 * The custom ops' JavaScript kernels for the 'cpu' backend: one list, one
 * entry per kernel (name from the op's op.ts, function from its cpu.ts).
 * The native backend registers C++ versions under the same names
 * (src/node/backend/kernels/custom/). Adding an op: a folder
 * <op>/{op.ts, cpu.ts} like the others, and a line here. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE } from './adamUpdate/op.js';
import { adamUpdateCpu } from './adamUpdate/cpu.js';
import { BATCH_MOMENTS, BATCH_NORM_GRAD } from './batchNormTrain/op.js';
import { batchMomentsCpu, batchNormGradCpu } from './batchNormTrain/cpu.js';
import { CONV_ADD_RELU } from './convAddRelu/op.js';
import { convAddReluCpu } from './convAddRelu/cpu.js';
import { RESIDUAL_BLOCK } from './residualBlock/op.js';
import { residualBlockCpu } from './residualBlock/cpu.js';
import { PER_IMAGE_NORM } from './perImageNorm/op.js';
import { perImageNormCpu } from './perImageNorm/cpu.js';
import { LAYER_NORM } from './layerNorm/op.js';
import { layerNormCpu } from './layerNorm/cpu.js';
import { SHRINK_TOP_K } from './shrinkTopK/op.js';
import { shrinkTopKCpu } from './shrinkTopK/cpu.js';
import { SPARSE_READ } from './sparseRead/op.js';
import { sparseReadCpu } from './sparseRead/cpu.js';
import { RELU_GRAD } from './reluGrad/op.js';
import { reluGradCpu } from './reluGrad/cpu.js';

export const CPU_KERNELS: readonly { kernelName: string; kernelFunc: tf.KernelFunc }[] = [
  { kernelName: ADAM_UPDATE, kernelFunc: adamUpdateCpu as tf.KernelFunc },
  { kernelName: BATCH_MOMENTS, kernelFunc: batchMomentsCpu as tf.KernelFunc },
  { kernelName: BATCH_NORM_GRAD, kernelFunc: batchNormGradCpu as tf.KernelFunc },
  { kernelName: CONV_ADD_RELU, kernelFunc: convAddReluCpu as tf.KernelFunc },
  { kernelName: RESIDUAL_BLOCK, kernelFunc: residualBlockCpu as tf.KernelFunc },
  { kernelName: PER_IMAGE_NORM, kernelFunc: perImageNormCpu },
  { kernelName: LAYER_NORM, kernelFunc: layerNormCpu },
  { kernelName: SHRINK_TOP_K, kernelFunc: shrinkTopKCpu as tf.KernelFunc }, // native runs it too (same storage)
  { kernelName: SPARSE_READ, kernelFunc: sparseReadCpu as tf.KernelFunc },
  { kernelName: RELU_GRAD, kernelFunc: reluGradCpu as tf.KernelFunc },
];

let installed = false;

/** Registers CPU_KERNELS for the 'cpu' backend (idempotent; a kernel already registered is kept). */
export function installCpuFusedKernels(): void {
  if (installed) return;
  installed = true;
  for (const k of CPU_KERNELS) if (!tf.getKernel(k.kernelName, 'cpu')) tf.registerKernel({ ...k, backendName: 'cpu' });
}
