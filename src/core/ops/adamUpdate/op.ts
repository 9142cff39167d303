/**
 * One Adam step for one variable as torch.optim.Adam computes it with L2
 * weight decay (the math of src/node/train/adam.ts):
 *   g' = g + wd w;  m' = b1 m + (1 - b1) g';  v' = b2 v + (1 - b2) g'^2
 *   w' = w - (lr / (1 - b1^t)) m' / (sqrt(v' / (1 - b2^t)) + eps)
 * One fused kernel where the active backend has 'SquidAdamUpdate' (native:
 * one C++ pass; cpu: one JavaScript loop), else the same expression in tfjs
 * ops (browser backends). Browser-safe. Returns new tensors; the caller
 * assigns w' and keeps m', v'.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel's name (registered for cpu in ../registry.ts, for native in src/node/backend/kernels/custom/). */
export const ADAM_UPDATE = 'SquidAdamUpdate';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** 1-based step count (bias correction). */
  step: number;
}

export interface AdamResult {
  w: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

export function adamUpdate(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): AdamResult {
  const f32 = [w, g, m, v].every((t) => t.dtype === 'float32');
  if (f32 && tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
    const [w1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, { ...h }) as tf.Tensor[];
    return { w: w1 as tf.Tensor, m: m1 as tf.Tensor, v: v1 as tf.Tensor };
  }
  return adamUpdateOps(w, g, m, v, h);
}

/** The same step in tfjs ops (the reference the fused kernels are tested against). */
export function adamUpdateOps(w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): AdamResult {
  return tf.tidy(() => {
    const bc1 = 1 - h.beta1 ** h.step;
    const bc2 = 1 - h.beta2 ** h.step;
    const gg = h.weightDecay !== 0 ? tf.add(g, tf.mul(w, h.weightDecay)) : g;
    const m1 = tf.add(tf.mul(m, h.beta1), tf.mul(gg, 1 - h.beta1));
    const v1 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(gg), 1 - h.beta2));
    const denom = tf.add(tf.sqrt(tf.div(v1, bc2)), h.epsilon);
    const w1 = tf.sub(w, tf.mul(tf.div(m1, denom), h.lr / bc1));
    return { w: w1, m: m1, v: v1 };
  });
}

/**
 * In-place Adam (PyTorch's way: no new tensors): a backend that can write a
 * step into the storage of w, m and v registers it here; it returns false
 * when it cannot (another tensor shares that storage, a non-float32 input,
 * another backend active), and the caller takes the functional path above.
 * No cache derived from weights outlives a weight write: inference forms
 * exist only while a model is compiled, and a compiled model does not train
 * (src/core/tactics/compile.ts).
 */
export type InPlaceAdam = (w: tf.Variable, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper) => boolean;

let inPlace: InPlaceAdam | undefined;

export function setInPlaceAdam(fn: InPlaceAdam | undefined): void {
  inPlace = fn;
}

/** Applies the step to w, m and v in place when the active backend can; true when it did. */
export function adamUpdateInPlace(w: tf.Variable, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): boolean {
  return inPlace !== undefined && inPlace(w, g, m, v, h);
}
