/**
 * Inference forms of the standalone layers, stood in for them by
 * install.ts: while the model is compiled (compile.ts), a convolution runs
 * on a constant copy of its weights that the native backend keeps in its
 * own layout (in an inference pass with no gradient tape recording), and a
 * conv + batch norm + ReLU with running statistics runs as one folded
 * convolution (foldedConvBn.ts). Otherwise each runs its own math.
 * [N,H,W,in] -> [N,H',W',out]
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Conv2d, ConvBnRelu, MapLayer } from '../squid/layers.js';
import type { ForwardContext } from '../squid/context.js';
import type { InferenceScope } from './scope.js';
import { FoldedConvBn } from './foldedConvBn.js';

export class TacticalConv implements MapLayer {
  private readonly constant: FoldedConvBn;

  constructor(readonly math: Conv2d, scope: InferenceScope) {
    this.constant = new FoldedConvBn(scope, math, undefined);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return !ctx.training && this.constant.readyWithoutTape ? this.constant.apply(x, 'linear') : this.math.apply(x);
  }
}

export class TacticalConvBnRelu implements MapLayer {
  private readonly folded: FoldedConvBn;

  constructor(readonly math: ConvBnRelu, scope: InferenceScope) {
    this.folded = new FoldedConvBn(scope, math.conv, math.bn);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return ctx.bn === 'running' && this.folded.ready ? this.folded.apply(x, 'relu') : this.math.apply(x, ctx);
  }
}
