/**
 * Fused gradient kernels of the native backend and the gradient overrides
 * that use them. The math is unchanged: tfjs computes ReLU's gradient as
 * dy * cast(step(x)) from the saved input (two full passes and two tensors);
 * the override saves the output y instead, as PyTorch does (y > 0 exactly
 * when x > 0; the input, usually a batch-norm output, is then not kept alive
 * until the backward pass: a third less activation memory in conv-BN-ReLU
 * stacks), and the native 'SquidReluGrad' kernel does y > 0 ? dy : 0 in one
 * pass (src/core/ops/reluGrad.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { need, type NativeKernel } from './types.js';

import { RELU_GRAD } from '../../../core/ops/names.js';
import { reluGradFromOutput } from '../../../core/ops/reluGrad.js';

export { RELU_GRAD };

export function gradientKernels(addon: NativeAddon): NativeKernel[] {
  return [
    {
      kernelName: RELU_GRAD,
      run(args) {
        const dy = need(args, 'dy');
        const x = need(args, 'x');
        if (!isF32(dy) || !isF32(x) || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
        const be = args.backend as MathBackendCPU;
        const out = alloc(size(x.shape));
        addon.reluGrad(f32(be, dy), f32(be, x), out);
        return output(be, [...x.shape], out);
      },
    },
  ];
}

/** JavaScript version of SquidReluGrad (the native kernel's fallback, and its reference in tests). */
export function reluGradCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const dy = need(args, 'dy');
  const x = need(args, 'x');
  const be = args.backend as MathBackendCPU;
  const d = be.data.get(dy.dataId).values as Float32Array;
  const v = be.data.get(x.dataId).values as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) > 0 ? (d[i] as number) : 0;
  return be.makeTensorInfo([...x.shape], 'float32', out);
}

let installed = false;

/** Replaces ReLU's gradient with one that saves the output and runs SquidReluGrad where the active backend has it. */
export function installGradientOverrides(): void {
  if (installed) return;
  installed = true;
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: [],
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [y] = saved as [tf.Tensor];
      return { x: () => reluGradFromOutput(dy as tf.Tensor, y) };
    },
  });
}
