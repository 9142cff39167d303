/** The JavaScript kernel of residualBlock for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import { CONV_ADD_RELU } from '../convAddRelu/op.js';
import type { ResidualBlockAttrs } from './op.js';

/**
 * The cpu kernel (also what the native kernel falls back to for inputs it
 * declines): tfjs-cpu's FusedConv2D twice, then the ConvAddRelu cpu kernel.
 */
export function residualBlockCpu(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const i = args.inputs as unknown as Record<'x' | 'filter1' | 'bias1' | 'filter2' | 'bias2' | 'filter3' | 'bias3', tf.TensorInfo>;
  const a = args.attrs as unknown as ResidualBlockAttrs;
  const fused = tf.getKernel(tf.FusedConv2D, 'cpu');
  const addRelu = tf.getKernel(CONV_ADD_RELU, 'cpu');
  if (!fused || !addRelu) throw new Error('SquidResidualBlock: the cpu backend lacks FusedConv2D or SquidConvAddRelu');
  const conv = (x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo, strides: number) =>
    fused.kernelFunc({
      inputs: { x, filter, bias }, backend: args.backend,
      attrs: { strides, pad: a.pad, dataFormat: 'NHWC', dilations: 1, activation: 'relu' },
    }) as tf.TensorInfo;
  const h1 = conv(i.x, i.filter1, i.bias1, a.strides);
  const h2 = conv(h1, i.filter2, i.bias2, 1);
  const y = addRelu.kernelFunc({
    inputs: { x: h2, filter: i.filter3, bias: i.bias3, residual: h1 }, backend: args.backend, attrs: { strides: 1, pad: a.pad },
  }) as tf.TensorInfo;
  const be = args.backend as { disposeIntermediateTensorInfo(t: tf.TensorInfo): void };
  be.disposeIntermediateTensorInfo(h1);
  be.disposeIntermediateTensorInfo(h2);
  return y;
}
