/** The JavaScript kernel of convAddRelu for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { ConvAddReluAttrs, ConvAddReluInputs } from './op.js';

/** The cpu kernel: tfjs-cpu's FusedConv2D, then residual add and ReLU in one loop over its output. */
export function convAddReluCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, filter, bias, residual } = args.inputs as unknown as Record<keyof ConvAddReluInputs, tf.TensorInfo>;
  const a = args.attrs as unknown as ConvAddReluAttrs;
  const fused = tf.getKernel(tf.FusedConv2D, 'cpu');
  if (!fused) throw new Error('SquidConvAddRelu: the tfjs cpu backend has no FusedConv2D kernel registered');
  const attrs = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dilations: 1, activation: 'linear' };
  const y = fused.kernelFunc({ inputs: { x, filter, bias }, backend: args.backend, attrs }) as tf.TensorInfo;
  const be = args.backend as MathBackendCPU;
  if (!tf.util.arraysEqual(y.shape, residual.shape)) {
    be.disposeIntermediateTensorInfo(y);
    throw new Error(`SquidConvAddRelu: residual shape ${JSON.stringify(residual.shape)} != output shape ${JSON.stringify(y.shape)}`);
  }
  const v = be.data.get(y.dataId).values as Float32Array;
  const r = be.data.get(residual.dataId).values as Float32Array;
  for (let k = 0; k < v.length; k++) {
    const s = v[k]! + r[k]!;
    v[k] = s > 0 ? s : 0;
  }
  return y;
}
