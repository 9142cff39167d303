/**
 * Filling a model's patch memory (squid/patchMemory.ts) from normal
 * images: the first M images give the memory's features, the remaining
 * ones (disjoint) the per-position mean and std of the nearest distance.
 * Browser-safe; training calls it before each validation and when scoring
 * is finished.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SquidModel } from '../model/types.js';
import { compileForInference } from '../tactics/compile.js';

/** Normal images used for the per-position statistics (the rest fill the memory); a quarter of the images when fewer than 800. */
export const PATCH_MEMORY_STATS_IMAGES = 200;

/** Features [N, n, k] of n images held row-major in `pixels`, in chunks. */
function featuresOf(model: SquidModel, pixels: Float32Array, size: number, batchSize: number): tf.Tensor3D {
  const per = size * size;
  const n = pixels.length / per;
  const parts: tf.Tensor3D[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    parts.push(tf.tidy(() => model.patchFeatures(tf.tensor4d(pixels.subarray(s * per, (s + m) * per), [m, size, size, 1]))));
  }
  const out = parts.length === 1 ? (parts[0] as tf.Tensor3D) : (tf.concat(parts, 1) as tf.Tensor3D);
  if (parts.length > 1) tf.dispose(parts);
  return out;
}

/**
 * pixels: n normal images (n * size * size). The memory takes M = slots
 * features per position from the first n - statsImages images (cycled when
 * fewer), the last statsImages give the statistics.
 */
export function fillPatchMemory(model: SquidModel, pixels: Float32Array, size: number, slots: number, batchSize = 32): void {
  const compiled = compileForInference(model);
  try {
    fillCompiled(model, pixels, size, slots, batchSize);
  } finally {
    compiled.release();
  }
}

function fillCompiled(model: SquidModel, pixels: Float32Array, size: number, slots: number, batchSize: number): void {
  const per = size * size;
  const n = pixels.length / per;
  const statsImages = Math.min(PATCH_MEMORY_STATS_IMAGES, Math.floor(n / 4));
  if (statsImages < 1) throw new RangeError(`fillPatchMemory: ${n} images; the patch memory needs at least 4`);
  const bankImages = n - statsImages;
  const bank = featuresOf(model, pixels.subarray(0, bankImages * per), size, batchSize); // [N, bankImages, k]
  const full = tf.tidy(() => {
    if (bankImages >= slots) return tf.slice(bank, [0, 0, 0], [-1, slots, -1]);
    const index = tf.tensor1d(Int32Array.from({ length: slots }, (_, i) => i % bankImages), 'int32');
    return tf.gather(bank, index, 1);
  }) as tf.Tensor3D;
  bank.dispose();
  try {
    // the slots first (distances read them), then the statistics of the
    // nearest distance on images the memory does not hold
    const [N] = full.shape;
    tf.tidy(() => model.fillPatchMemory(full, tf.zeros([N]), tf.ones([N])));
    const ref = pixels.subarray(bankImages * per);
    const d: tf.Tensor2D[] = [];
    for (let s = 0; s < statsImages; s += batchSize) {
      const m = Math.min(batchSize, statsImages - s);
      d.push(tf.tidy(() => model.patchDistances(tf.tensor4d(ref.subarray(s * per, (s + m) * per), [m, size, size, 1]))));
    }
    tf.tidy(() => {
      const { mean, variance } = tf.moments(tf.concat(d, 0), 0); // over [statsImages, N]
      model.fillPatchMemory(full, mean as tf.Tensor1D, tf.maximum(tf.sqrt(variance), 1e-12) as tf.Tensor1D);
    });
    tf.dispose(d);
  } finally {
    full.dispose();
  }
}
