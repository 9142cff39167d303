/**
 * Multi-head attention as PyTorch's nn.MultiheadAttention (input projections
 * xavier-uniform with zero biases, output projection with zero bias), with
 * an optional additive score bias (log multiplicities / -1e9 masks).
 * query [B, Nq, d], tokens [B, T, d] -> [B, Nq, d]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../model/params.js';
import { Linear } from './layers.js';

export class MultiHeadAttention {
  private readonly q: Linear;
  private readonly k: Linear;
  private readonly v: Linear;
  private readonly out: Linear;

  constructor(store: ParamStore, name: string, readonly dim: number, readonly heads: number) {
    if (dim % heads !== 0) throw new Error(`${name}: dim ${dim} not divisible by ${heads} heads`);
    // in_proj: 3 x (d x d + d), initialized as PyTorch's one xavier matrix [3d, d]
    const xavier = { init: 'xavier', xavierFanOut: 3 * dim, zeroBias: true } as const;
    this.q = new Linear(store, `${name}/in_proj_q`, dim, dim, xavier);
    this.k = new Linear(store, `${name}/in_proj_k`, dim, dim, xavier);
    this.v = new Linear(store, `${name}/in_proj_v`, dim, dim, xavier);
    this.out = new Linear(store, `${name}/out_proj`, dim, dim, { zeroBias: true });
  }

  /** [B, n, d] -> [B, H, n, hd] */
  private heads_(x: tf.Tensor3D): tf.Tensor4D {
    const [b, n, d] = x.shape;
    return tf.transpose(tf.reshape(x, [b, n, this.heads, d / this.heads]), [0, 2, 1, 3]);
  }

  /**
   * Every query attends over every token of its row b; scoreBias [Nq, T] is
   * added to the scaled scores (e.g. log of how often a token counts as a
   * key, -1e9 for tokens that are not keys of that query).
   */
  attend(query: tf.Tensor3D, tokens: tf.Tensor3D, scoreBias?: tf.Tensor2D): tf.Tensor3D {
    const [b, nq, d] = query.shape;
    const hd = d / this.heads;
    const q = this.heads_(this.q.apply(query)); // [B,H,Nq,hd]
    const k = this.heads_(this.k.apply(tokens)); // [B,H,T,hd]
    const v = this.heads_(this.v.apply(tokens)); // [B,H,T,hd]
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)); // [B,H,Nq,T]
    if (scoreBias) scores = tf.add(scores, scoreBias);
    const attn = tf.matMul(tf.softmax(scores), v); // [B,H,Nq,hd]
    return this.out.apply(tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [b, nq, d]));
  }

  /** One query token per row over its own K key/value tokens. query [R, d], keyValue [R, K, d] -> [R, d] */
  apply(query: tf.Tensor2D, keyValue: tf.Tensor3D): tf.Tensor2D {
    const [r, d] = query.shape;
    return tf.reshape(this.attend(tf.reshape(query, [r, 1, d]), keyValue), [r, d]);
  }
}
