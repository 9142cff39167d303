/**
 * A residual block at inference, `block(in, out, stride)` of the reference
 * with its batch norms folded into the filters (src/core/tactics/foldedConvBn.ts):
 *   a = relu(conv1(x) + b1)              (stride s)
 *   h = relu(conv2(a) + b2)
 *   y = relu(conv3(h) + b3 + a)
 * One kernel (SquidResidualBlock) where the active backend has it (native:
 * one call, the intermediates kept in oneDNN's layouts between the three
 * convolutions, native/src/conv/block.cc); elsewhere, and under a gradient
 * tape (the kernel has no gradient), two FusedConv2D and a ConvAddRelu.
 * Browser-safe.
 * x [N,H,W,C] -> [N,H/s,W/s,O]
 */
import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../../tfjs/tapePause.js';
import { convAddRelu } from '../convAddRelu/op.js';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const RESIDUAL_BLOCK = 'SquidResidualBlock';

/** One folded convolution of the block. */
export interface BlockConv {
  filter: tf.Tensor4D; // [k,k,in,out]
  bias: tf.Tensor1D; // [out]
}

export interface ResidualBlockAttrs {
  /** conv1's stride (conv2 and conv3: 1) */
  strides: number;
  /** every convolution's padding */
  pad: number | 'same';
}

/** The same result in separate kernels (the reference the kernel is tested against). */
export function residualBlockOps(x: tf.Tensor4D, convs: readonly [BlockConv, BlockConv, BlockConv], a: ResidualBlockAttrs): tf.Tensor4D {
  const [c1, c2, c3] = convs;
  return tf.tidy(() => {
    const h1 = tf.fused.conv2d({ x, filter: c1.filter, bias: c1.bias, strides: a.strides, pad: a.pad, activation: 'relu' });
    const h2 = tf.fused.conv2d({ x: h1, filter: c2.filter, bias: c2.bias, strides: 1, pad: a.pad, activation: 'relu' });
    return convAddRelu({ x: h2, filter: c3.filter, bias: c3.bias, residual: h1 }, { strides: 1, pad: a.pad });
  });
}

/** Whether residualBlock runs as one kernel on the active backend (no tape, float32). */
export function hasResidualBlockKernel(): boolean {
  return !tapeRecording() && tf.getKernel(RESIDUAL_BLOCK, tf.getBackend()) !== undefined;
}

export function residualBlock(x: tf.Tensor4D, convs: readonly [BlockConv, BlockConv, BlockConv], a: ResidualBlockAttrs): tf.Tensor4D {
  const [c1, c2, c3] = convs;
  const f32 = [x, c1.filter, c1.bias, c2.filter, c2.bias, c3.filter, c3.bias].every((t) => t.dtype === 'float32');
  if (f32 && hasResidualBlockKernel()) {
    const inputs = { x, filter1: c1.filter, bias1: c1.bias, filter2: c2.filter, bias2: c2.bias, filter3: c3.filter, bias3: c3.bias };
    return tf.engine().runKernel(RESIDUAL_BLOCK, inputs, { ...a }) as tf.Tensor4D;
  }
  return residualBlockOps(x, convs, a);
}
