/**
 * Splitting an image (or feature map) into P x P patches processed as a
 * batch, and re-assembling them. Patch order: image-major, then reading
 * order within the image (index = b * P*P + row * P + col).
 */
import * as tf from '@tensorflow/tfjs-core';

/** [B, P*p, P*p, C] -> [B*P*P, p, p, C] */
export function splitPatches(x: tf.Tensor4D, perSide: number): tf.Tensor4D {
  if (perSide === 1) return x;
  const [b, h, w, c] = x.shape;
  const ph = h / perSide;
  const pw = w / perSide;
  if (!Number.isInteger(ph) || !Number.isInteger(pw)) throw new Error(`splitPatches: ${h}x${w} not divisible by ${perSide}`);
  const t = tf.reshape(x, [b, perSide, ph, perSide, pw, c]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [b * perSide * perSide, ph, pw, c]);
}

/** [B*P*P, p, p, C] -> [B, P*p, P*p, C] */
export function assemblePatches(x: tf.Tensor4D, perSide: number): tf.Tensor4D {
  if (perSide === 1) return x;
  const [n, ph, pw, c] = x.shape;
  const b = n / (perSide * perSide);
  if (!Number.isInteger(b)) throw new Error(`assemblePatches: ${n} patches is not a multiple of ${perSide * perSide}`);
  const t = tf.reshape(x, [b, perSide, perSide, ph, pw, c]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [b, perSide * ph, perSide * pw, c]);
}
