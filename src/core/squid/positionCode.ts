/**
 * Binary position code of each patch: floor(log2(P*P)) + 1 bit-planes,
 * most significant bit first, constant over the patch's map.
 * -> [B*P*P, s, s, bits]
 */
import * as tf from '@tensorflow/tfjs-core';

export function positionBits(positions: number): number {
  return Math.floor(Math.log2(positions)) + 1;
}

export function positionCode(batch: number, positions: number, side: number): tf.Tensor4D {
  const bits = positionBits(positions);
  const values = new Float32Array(batch * positions * side * side * bits);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < positions; n++) {
      for (let p = 0; p < side * side; p++) {
        for (let k = 0; k < bits; k++) values[o++] = (n >> (bits - 1 - k)) & 1;
      }
    }
  }
  return tf.tensor4d(values, [batch * positions, side, side, bits]);
}
