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
import { tapeRecording } from '../../tfjs/tapePause.js';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const CONV_ADD_RELU = 'SquidConvAddRelu';

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
