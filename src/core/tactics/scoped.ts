/**
 * Memory tactic: an up block of the decoders in its own tf.tidy, so its
 * up-sampled and concatenated inputs are freed when it returns (a gradient
 * tape keeps its own references to what the backward pass needs), not when
 * the whole pass ends.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Up } from '../squid/upBlock.js';
import type { Skip } from '../squid/encoder.js';
import type { ForwardContext } from '../squid/context.js';

export class ScopedUp implements Up {
  constructor(readonly math: Up) {}

  apply(x: tf.Tensor4D, skip: Skip, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => this.math.apply(x, skip, ctx));
  }
}
