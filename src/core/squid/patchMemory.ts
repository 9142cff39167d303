/**
 * Space-aware patch memory: the dictionary of normal patterns per grid
 * position, read by distance instead of by attention (the `memory` score).
 *
 * A patch's feature is the deepest per-patch encoder map, flattened and
 * multiplied by a fixed random projection R [D, k] (entries U(+-sqrt(3/k)):
 * variance 1/k, so squared distances are kept in expectation).
 * The memory of position p holds M features of normal training patches at p.
 * For an image, d_p = the squared distance of its patch-p feature to the
 * nearest of them, z_p = (d_p - center_p) / scale_p with center and scale the
 * mean and std of d_p over other normal images, and the raw normality
 * value is -max_p z_p: an anomaly touches few positions, and a max keeps
 * one far patch from being averaged away.
 * Filled after training steps (patchMemoryFill.ts), never by gradients;
 * part of the saved state.
 *   skip [B*N, s, s, C] -> features [N, B, k] -> distances [B, N] -> raw [B]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { assignFrom } from '../tfjs/assign.js';
import type { PatchMemoryConfig } from './presets.js';
import { SquidError } from '../util/errors.js';

export class PatchMemory {
  /** [D, k] */
  readonly projection: tf.Variable;
  /** [N, M, k] */
  readonly slots: tf.Variable;
  /** [N] each: the mean and std of d_p over normal images */
  readonly center: tf.Variable;
  readonly scale: tf.Variable;
  /** [1]: 1 once filled */
  readonly filled: tf.Variable;

  constructor(
    store: ParamStore,
    name: string,
    readonly config: PatchMemoryConfig,
    readonly positions: number,
    readonly inputDim: number,
  ) {
    const { slots, dim } = config;
    this.projection = store.variable(`${name}/projection`, [inputDim, dim], { kind: 'uniform', bound: Math.sqrt(3 / dim) }, false);
    this.slots = store.variable(`${name}/slots`, [positions, slots, dim], { kind: 'zeros' }, false);
    this.center = store.variable(`${name}/center`, [positions], { kind: 'zeros' }, false);
    this.scale = store.variable(`${name}/scale`, [positions], { kind: 'ones' }, false);
    this.filled = store.variable(`${name}/filled`, [1], { kind: 'zeros' }, false);
  }

  isFilled(): boolean {
    return (this.filled.dataSync()[0] ?? 0) > 0;
  }

  /** skip [B*N, s, s, C] (rows image-major) -> [N, B, k] */
  features(skip: tf.Tensor4D): tf.Tensor3D {
    const N = this.positions;
    const rows = tf.matMul(tf.reshape(skip, [skip.shape[0], this.inputDim]), this.projection); // [B*N, k]
    return tf.transpose(tf.reshape(rows, [-1, N, this.config.dim]), [1, 0, 2]) as tf.Tensor3D;
  }

  /** features [N, B, k] -> squared distance to the nearest slot of each position, [B, N] */
  nearest(f: tf.Tensor3D): tf.Tensor2D {
    const m = this.slots as tf.Tensor3D;
    const cross = tf.matMul(f, m, false, true); // [N, B, M]
    const f2 = tf.sum(tf.square(f), 2, true); // [N, B, 1]
    const m2 = tf.expandDims(tf.sum(tf.square(m), 2), 1); // [N, 1, M]
    const d = tf.relu(tf.add(tf.sub(f2, tf.mul(cross, 2)), m2)); // rounding can dip below 0
    return tf.transpose(tf.min(d, 2)) as tf.Tensor2D;
  }

  /** skip [B*N, s, s, C] -> z per position [B, N] */
  zMap(skip: tf.Tensor4D): tf.Tensor2D {
    if (!this.isFilled()) throw new SquidError('the patch memory is empty: fill it from normal training images before scoring with "memory"');
    return tf.div(tf.sub(this.nearest(this.features(skip)), this.center), this.scale) as tf.Tensor2D;
  }

  /** skip [B*N, s, s, C] -> raw normality values [B] */
  score(skip: tf.Tensor4D): tf.Tensor1D {
    return tf.neg(tf.max(this.zMap(skip), 1)) as tf.Tensor1D;
  }

  /** Marks the memory empty (its slots are refilled before use). */
  clear(): void {
    assignFrom(this.filled, () => tf.zeros([1]));
  }

  /** Stores normal features [N, M, k] and the per-position statistics [N]. */
  fill(slots: tf.Tensor3D, center: tf.Tensor1D, scale: tf.Tensor1D): void {
    this.slots.assign(slots);
    this.center.assign(center);
    this.scale.assign(scale);
    assignFrom(this.filled, () => tf.ones([1]));
  }
}
