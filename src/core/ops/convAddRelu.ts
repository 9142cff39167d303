/**
 * relu(conv(x, filter) + bias + residual): the end of a residual block at
 * inference, ReLU(a + b) with b the block's last (folded) convolution. One
 * kernel (SquidConvAddRelu) where the active backend has it (native: the
 * convolution adds the residual and applies the ReLU as it writes its output,
 * oneDNN sum + eltwise post-ops, so neither b nor a + b is ever stored; cpu:
 * FusedConv2D then one loop), else tfjs ops (browser backends, and under a
 * gradient tape: the kernel has no gradient). Browser-safe.
 * x [N,H,W,C], filter [k,k,C,O], bias [O], residual [N,H',W',O] -> [N,H',W',O]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { CONV_ADD_RELU } from './names.js';
import { tapeRecording } from '../tfjs/tapePause.js';

export interface ConvAddReluAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
}

export interface ConvAddReluInputs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  residual: tf.Tensor4D;
}

/** The same result in tfjs ops (the reference the kernels are tested against). */
export function convAddReluOps(i: ConvAddReluInputs, a: ConvAddReluAttrs): tf.Tensor4D {
  return tf.tidy(() => tf.relu(tf.add(tf.fused.conv2d({ x: i.x, filter: i.filter, bias: i.bias, strides: a.strides, pad: a.pad }), i.residual)));
}

export function convAddRelu(i: ConvAddReluInputs, a: ConvAddReluAttrs): tf.Tensor4D {
  const f32 = [i.x, i.filter, i.bias, i.residual].every((t) => t.dtype === 'float32');
  if (f32 && !tapeRecording() && tf.getKernel(CONV_ADD_RELU, tf.getBackend())) {
    return tf.engine().runKernel(CONV_ADD_RELU, { ...i }, { ...a }) as tf.Tensor4D;
  }
  return convAddReluOps(i, a);
}

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
