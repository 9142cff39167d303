/**
 * conv -> batch norm with running statistics (-> ReLU) as one convolution:
 * the inference form of the residual blocks' layers. With s = gamma /
 * sqrt(running_var + eps),
 *   BN(conv(x, W) + b) = conv(x, W * s) + (b - running_mean) * s + beta
 * so one FusedConv2D with the folded filter and bias (and the ReLU fused)
 * replaces a convolution, a batch-norm pass and a ReLU pass: the same math
 * up to rounding (test/core/squid/fusedPaths.test.ts). The folded filter and bias
 * are made on first use while the model is compiled for inference
 * (compile.ts) and dropped when it is released: the weights cannot change in
 * between (training refuses a compiled model; setState invalidates). The
 * folded filter is declared constant to the backend (the native convolution
 * then keeps it in its own layout instead of reordering it on every call).
 * Without a batch norm it is a private constant copy of the convolution's
 * own filter and bias (Conv2d's inference form: the discriminator's last
 * layer, the decoder's output).
 * [N,H,W,in] -> [N,H',W',out]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2d } from '../squid/layers.js';
import { BN_EPS, type BatchNorm } from '../squid/batchNorm.js';
import type { InferenceScope } from './scope.js';
import { hintConstant } from '../ops/hints.js';
import { convAddRelu } from '../ops/convAddRelu/op.js';
import type { BlockConv } from '../ops/residualBlock/op.js';
import { tapeRecording } from '../tfjs/tapePause.js';

export class FoldedConvBn {
  private filter: tf.Tensor4D | undefined;
  private bias: tf.Tensor1D | undefined;

  constructor(
    private readonly scope: InferenceScope,
    private readonly conv: Conv2d,
    private readonly bn: BatchNorm | undefined,
  ) {
    scope.register(() => this.release());
  }

  /** Whether the folded form may be used: the model is compiled for inference. */
  get ready(): boolean {
    return this.scope.active;
  }

  /** ready, and no gradient tape records (the kernel-only path gives no gradient to the weights). */
  get readyWithoutTape(): boolean {
    return this.scope.active && !tapeRecording();
  }

  /** [N,H,W,in] -> act(BN_running(conv(x))) */
  apply(x: tf.Tensor4D, activation: 'relu' | 'linear'): tf.Tensor4D {
    const { filter, bias } = this.folded();
    const strides = this.conv.stride;
    const pad = this.conv.pad;
    if (tapeRecording()) return tf.fused.conv2d({ x, filter, bias, strides, pad, activation });
    // no gradient wanted: the FusedConv2D kernel itself, without tf.fused.conv2d's gradient wrapper
    const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation };
    return tf.engine().runKernel(tf.FusedConv2D, { x, filter, bias }, attrs) as tf.Tensor4D;
  }

  /** [N,H,W,in], residual [N,H',W',out] -> ReLU(BN_running(conv(x)) + residual) (src/core/ops/convAddRelu/op.ts) */
  applyAddRelu(x: tf.Tensor4D, residual: tf.Tensor4D): tf.Tensor4D {
    const { filter, bias } = this.folded();
    return convAddRelu({ x, filter, bias, residual }, { strides: this.conv.stride, pad: this.conv.pad });
  }

  /** The folded filter [k,k,in,out] and bias [out] (owned by this object until the compile is released). */
  weights(): BlockConv {
    return this.folded();
  }

  private release(): void {
    this.filter?.dispose();
    this.bias?.dispose();
    this.filter = undefined;
    this.bias = undefined;
  }

  private folded(): { filter: tf.Tensor4D; bias: tf.Tensor1D } {
    if (!this.scope.active) throw new Error('folded weights are used only while the model is compiled for inference (compileForInference)');
    if (!this.filter || !this.bias) {
      const c = this.conv;
      const n = this.bn;
      const { filter, bias } = tf.tidy(() => {
        const b0 = c.bias ?? tf.zeros([c.outChannels]);
        // no batch norm: copies (x * 1: a clone would share the variable's storage)
        if (!n) return { filter: tf.mul(c.kernel, 1) as tf.Tensor4D, bias: tf.mul(b0, 1) as tf.Tensor1D };
        const scale = tf.mul(n.gamma, tf.rsqrt(tf.add(n.runningVar, BN_EPS))); // [out]
        return {
          filter: tf.mul(c.kernel, scale) as tf.Tensor4D, // [k,k,in,out] * [out]
          bias: tf.add(tf.mul(tf.sub(b0, n.runningMean), scale), n.beta) as tf.Tensor1D,
        };
      });
      this.filter = tf.keep(filter);
      hintConstant(filter); // never written: the backend may keep it prepared
      this.bias = tf.keep(bias);
    }
    return { filter: this.filter, bias: this.bias };
  }
}
