/**
 * Adam as torch.optim.Adam computes it, with L2 weight decay added to the
 * gradient (grad += wd * param) and a learning rate that can change between
 * steps (cosine schedule). The moment estimates are plain tensors kept by
 * variable position, so they can be saved and restored exactly.
 *
 * (tf.train.adam has no weight decay, keys its slots by creation order and
 * hides its learning rate, hence this small class.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdate, adamUpdateInPlace } from '../../core/ops/adamUpdate/op.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class Adam {
  lr: number;
  private step = 0;
  private readonly m: tf.Tensor[];
  private readonly v: tf.Tensor[];

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly config: AdamConfig,
  ) {
    this.lr = config.lr;
    this.m = variables.map((w) => tf.zerosLike(w));
    this.v = variables.map((w) => tf.zerosLike(w));
  }

  get steps(): number {
    return this.step;
  }

  /**
   * One update from gradients given in the order of `variables`; a null
   * gradient leaves that variable (and its moments) untouched, as torch does
   * for parameters without a gradient.
   */
  apply(grads: readonly (tf.Tensor | null | undefined)[]): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`Adam.apply: ${grads.length} gradients for ${this.variables.length} variables`);
    }
    this.step++;
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const hyper = { lr: this.lr, beta1, beta2, epsilon, weightDecay, step: this.step };
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i];
      if (!g) continue;
      const w = this.variables[i] as tf.Variable;
      // in place where the backend can (no new tensors, as torch.optim.Adam)
      if (adamUpdateInPlace(w, g, this.m[i] as tf.Tensor, this.v[i] as tf.Tensor, hyper)) continue;
      // else one fused kernel where the backend has it, else the same tfjs ops
      const { w: w1, m, v } = adamUpdate(w, g, this.m[i] as tf.Tensor, this.v[i] as tf.Tensor, hyper);
      w.assign(w1);
      w1.dispose();
      (this.m[i] as tf.Tensor).dispose();
      (this.v[i] as tf.Tensor).dispose();
      // kept: the optimizer owns its moments, also when apply runs inside a tidy scope
      this.m[i] = tf.keep(m);
      this.v[i] = tf.keep(v);
    }
  }

  /** Moments by position: `${prefix}m/${i}`, `${prefix}v/${i}` (references, not copies). */
  getState(prefix: string): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    this.m.forEach((t, i) => (out[`${prefix}m/${i}`] = t));
    this.v.forEach((t, i) => (out[`${prefix}v/${i}`] = t));
    return out;
  }

  /** Restores moments (cloned) and the step count; throws on a missing or mis-shaped entry. */
  setState(prefix: string, state: Record<string, tf.Tensor>, steps: number): void {
    const next: { m: tf.Tensor; v: tf.Tensor }[] = [];
    for (let i = 0; i < this.variables.length; i++) {
      const shape = (this.variables[i] as tf.Variable).shape;
      const pair = { m: state[`${prefix}m/${i}`], v: state[`${prefix}v/${i}`] };
      for (const [k, t] of Object.entries(pair)) {
        if (!t) throw new Error(`optimizer state "${prefix}${k}/${i}" is missing`);
        if (!tf.util.arraysEqual(t.shape, shape)) {
          throw new Error(`optimizer state "${prefix}${k}/${i}" has shape [${t.shape}], expected [${shape}]`);
        }
      }
      next.push({ m: tf.clone(pair.m as tf.Tensor), v: tf.clone(pair.v as tf.Tensor) });
    }
    next.forEach(({ m, v }, i) => {
      (this.m[i] as tf.Tensor).dispose();
      (this.v[i] as tf.Tensor).dispose();
      this.m[i] = m;
      this.v[i] = v;
    });
    this.step = steps;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR stepped once per epoch:
 * lr(e) = etaMin + (lr0 - etaMin) * (1 + cos(pi * e / period)) / 2,
 * with etaMin = minFactor * lr0. (The closed form; past the period it rises
 * again, as torch's closed form does.)
 */
export function cosineLr(lr0: number, epoch: number, period: number, minFactor: number): number {
  const etaMin = minFactor * lr0;
  return etaMin + ((lr0 - etaMin) * (1 + Math.cos((Math.PI * epoch) / period))) / 2;
}
