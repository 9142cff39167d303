/**
 * The residual conv block of the encoder and decoder, `block(in, out, stride)`:
 *   a = ReLU(BN(conv3x3(in->out, stride)))
 *   b = BN(conv3x3(ReLU(BN(conv3x3(a)))))
 *   out = ReLU(a + b)
 * [N,H,W,in] -> [N,H/stride,W/stride,out]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';
import { Conv2d } from './layers.js';
import { BatchNorm } from './batchNorm.js';
import type { ForwardContext } from './context.js';
import { reluGradFromOutput } from '../ops/reluGrad/op.js';
import { FoldedConvBn } from '../infer/foldedConvBn.js';
import { hasResidualBlockKernel, residualBlock } from '../ops/residualBlock/op.js';

/**
 * relu(a + b) for same-shaped a, b, as one differentiable op that saves only
 * its output (d/da = d/db = dy where out > 0). tfjs's Add would keep a and b
 * alive until the backward pass just to read their shapes; PyTorch keeps
 * neither. Same values and gradients as tf.relu(tf.add(a, b)).
 */
export function addRelu(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (!tf.util.arraysEqual(a.shape, b.shape)) return tf.relu(tf.add(a, b));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor4D, tf.Tensor4D];
    const save = args[2] as tf.GradSaveFunc;
    const out = tf.relu(tf.add(x, y));
    save([out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = reluGradFromOutput(dy, saved[0] as tf.Tensor);
        return [g, tf.clone(g)];
      },
    };
  });
  return f(a, b) as tf.Tensor4D;
}

export class ResidualBlock {
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm;
  private readonly folded: [FoldedConvBn, FoldedConvBn, FoldedConvBn];

  constructor(store: ParamStore, name: string, readonly inChannels: number, readonly outChannels: number, readonly stride = 1) {
    this.conv1 = new Conv2d(store, `${name}/conv1`, inChannels, outChannels, 3, stride, 1);
    this.bn1 = new BatchNorm(store, `${name}/bn1`, outChannels);
    this.conv2 = new Conv2d(store, `${name}/conv2`, outChannels, outChannels, 3, 1, 1);
    this.bn2 = new BatchNorm(store, `${name}/bn2`, outChannels);
    this.conv3 = new Conv2d(store, `${name}/conv3`, outChannels, outChannels, 3, 1, 1);
    this.bn3 = new BatchNorm(store, `${name}/bn3`, outChannels);
    this.folded = [
      new FoldedConvBn(store.inference, this.conv1, this.bn1),
      new FoldedConvBn(store.inference, this.conv2, this.bn2),
      new FoldedConvBn(store.inference, this.conv3, this.bn3),
    ];
  }

  /**
   * In a tf.tidy: the intermediates are freed when the block ends instead of
   * when the whole pass ends. Safe under a gradient tape: the tensors the
   * backward pass needs are saved by the tape as kept clones (tidy does not
   * dispose kept tensors), and the tape refers to the others only by id.
   */
  apply(x: tf.Tensor4D, ctx: ForwardContext, opts: { releaseInput?: boolean } = {}): tf.Tensor4D {
    if (ctx.bn === 'running' && this.folded[0].ready) {
      // compiled for inference (src/core/infer/compile.ts): each conv + BN (+ ReLU) folded into one convolution, the
      // last one adding a and applying the ReLU as it writes (b and a + b are
      // never stored); releaseInput: x is the caller's temporary, freed once
      // the first convolution has read it (a batch holds x, a, h and the
      // output at most instead of x and five maps)
      const [f1, f2, f3] = this.folded;
      if (hasResidualBlockKernel()) {
        // one kernel: native/src/conv/block.cc keeps a and h in oneDNN's layouts
        const y = residualBlock(x, [f1.weights(), f2.weights(), f3.weights()], { strides: this.stride, pad: this.conv1.pad });
        if (opts.releaseInput) x.dispose();
        return y;
      }
      return tf.tidy(() => {
        const a = f1.apply(x, 'relu');
        if (opts.releaseInput) x.dispose();
        const h = f2.apply(a, 'relu');
        return f3.applyAddRelu(h, a);
      });
    }
    return tf.tidy(() => {
      const a = tf.relu(this.bn1.apply(this.conv1.apply(x), ctx.bn));
      const h = tf.relu(this.bn2.apply(this.conv2.apply(a), ctx.bn));
      const b = this.bn3.apply(this.conv3.apply(h), ctx.bn);
      return addRelu(a, b);
    });
  }
}
