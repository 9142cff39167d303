/**
 * Grad-CAM of the discriminator logit at its last conv layer: A = last conv
 * output, channel weights w_c = spatial mean of d logit / d A_c,
 * cam = ReLU(sum_c w_c A_c), bilinearly upsampled to the input size and
 * min-max scaled to [0, 1] per image (all-zero when constant).
 * x [N,S,S,1] -> [N,S,S,1]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Discriminator } from '../squid/discriminator.js';
import { inferenceContext, type ForwardContext } from '../squid/context.js';

export function gradCam(d: Discriminator, x: tf.Tensor4D, ctx: ForwardContext = inferenceContext('per-image')): tf.Tensor4D {
  return tf.tidy(() => {
    const [, S, W] = x.shape;
    const a = d.lastConv(x, ctx); // [N,s,s,C]
    // logits of different images are independent (per-image or running BN), so
    // the gradient of their sum gives each image's own gradient
    const grad = tf.grad((t: tf.Tensor) => tf.sum(d.fromLastConv(t as tf.Tensor4D, ctx)))(a);
    const weights = tf.mean(grad, [1, 2], true); // [N,1,1,C]
    const cam = tf.relu(tf.sum(tf.mul(weights, a), 3, true)) as tf.Tensor4D; // [N,s,s,1]
    const up = tf.image.resizeBilinear(cam, [S, W], false, true);
    const lo = tf.min(up, [1, 2, 3], true);
    const hi = tf.max(up, [1, 2, 3], true);
    const range = tf.sub(hi, lo);
    const safe = tf.where(tf.greater(range, 1e-12), range, tf.onesLike(range));
    return tf.mul(tf.div(tf.sub(up, lo), safe), tf.cast(tf.greater(range, 1e-12), 'float32')) as tf.Tensor4D;
  });
}
