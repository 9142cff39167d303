/**
 * The residual block with its tactics (installed by install.ts in place of
 * each ResidualBlock of the paper's components):
 *  - memory: the block runs in its own tf.tidy, so its intermediates are
 *    freed when it ends instead of when the whole pass ends. Safe under a
 *    gradient tape: the tape keeps its own references to what the backward
 *    pass needs. A block whose input nobody else reads (consumesInput: the
 *    encoder's full-image level inputs, of which the encoder keeps only the
 *    shape) frees it as it returns, so a backward pass can drop it after
 *    its last use;
 *  - inference, compiled (compile.ts) with running statistics: each conv +
 *    batch norm (+ ReLU) folded into one convolution (foldedConvBn.ts), the
 *    last one adding a and applying the ReLU as it writes; one kernel for
 *    the whole block where the backend has it (native/src/conv/block.cc
 *    keeps a and h in oneDNN's layouts).
 * The math is ResidualBlock.apply's either way (test/core/squid/fusedPaths.test.ts).
 * [N,H,W,in] -> [N,H/stride,W/stride,out]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Block, ResidualBlock } from '../squid/residualBlock.js';
import type { ForwardContext } from '../squid/context.js';
import type { InferenceScope } from './scope.js';
import { FoldedConvBn } from './foldedConvBn.js';
import { hasResidualBlockKernel, residualBlock } from '../ops/residualBlock/op.js';

export class TacticalResidualBlock implements Block {
  private readonly folded: [FoldedConvBn, FoldedConvBn, FoldedConvBn];

  constructor(
    readonly math: ResidualBlock,
    private readonly scope: InferenceScope,
    private readonly consumesInput = false,
  ) {
    this.folded = [
      new FoldedConvBn(scope, math.conv1, math.bn1),
      new FoldedConvBn(scope, math.conv2, math.bn2),
      new FoldedConvBn(scope, math.conv3, math.bn3),
    ];
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const y = ctx.bn === 'running' && this.scope.active ? this.folded3(x) : tf.tidy(() => this.math.apply(x, ctx));
    if (this.consumesInput) x.dispose();
    return y;
  }

  private folded3(x: tf.Tensor4D): tf.Tensor4D {
    const [f1, f2, f3] = this.folded;
    if (hasResidualBlockKernel()) {
      return residualBlock(x, [f1.weights(), f2.weights(), f3.weights()], { strides: this.math.stride, pad: this.math.conv1.pad });
    }
    return tf.tidy(() => {
      const a = f1.apply(x, 'relu');
      return f3.applyAddRelu(f2.apply(a, 'relu'), a);
    });
  }
}
