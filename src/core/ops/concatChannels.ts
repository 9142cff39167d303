import * as tf from '@tensorflow/tfjs-core';
import { tapeRecording } from '../tfjs/tapePause.js';

/**
 * [a, b] along channels with a gradient that slices dy by the known channel
 * counts: tfjs's Concat keeps both inputs alive until the backward pass just
 * for their shapes (here: the upsampled map, which nothing else keeps).
 */
export function concatChannels(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (!tapeRecording()) return tf.concat([a, b], 3) as tf.Tensor4D; // no gradient wanted: the kernel alone
  const ca = a.shape[3];
  const cb = b.shape[3];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor4D, tf.Tensor4D];
    return {
      value: tf.concat([x, y], 3) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor) => {
        const [n, h, w] = dy.shape as [number, number, number, number];
        return [tf.slice(dy, [0, 0, 0, 0], [n, h, w, ca]), tf.slice(dy, [0, 0, 0, ca], [n, h, w, cb])];
      },
    };
  });
  return f(a, b) as tf.Tensor4D;
}
