/**
 * The gradient overrides (src/node/backend: installed with the native
 * backend). The math is unchanged: tfjs computes ReLU's gradient as
 * dy * cast(step(x)) from the saved input (two full passes and two tensors);
 * the override saves the output y instead, as PyTorch does (y > 0 exactly
 * when x > 0; the input, usually a batch-norm output, is then not kept alive
 * until the backward pass: a third less activation memory in conv-BN-ReLU
 * stacks), and the 'SquidReluGrad' kernel (native: kernels/custom/reluGrad.ts) does y > 0 ? dy : 0 in one
 * pass (src/core/ops/reluGrad/op.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { reluGradFromOutput } from '../../../core/ops/reluGrad/op.js';

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
