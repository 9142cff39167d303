/**
 * Training augmentation as in the reference: a random affine per image with
 * translation up to +-translate * size in x and y (independently) and an
 * isotropic scale in [scale0, scale1], no rotation, no shear. Browser-safe.
 *
 * Resampling is bilinear about the image centre; pixels whose source falls
 * outside the image are filled with 0 (black), as torchvision's
 * RandomAffine fills by default. Translations are not rounded to whole pixels.
 */
import type { Rng } from '../../core/util/rng.js';
import type { ImageBatch } from './types.js';

export interface AugmentOptions {
  /** Maximum shift as a fraction of the side. Default 0.05. */
  translate?: number;
  /** Scale range. Default [0.95, 1.05]. */
  scale?: [number, number];
}

/** Parameters of one affine map: output(p) = input(centre + (p - centre - t) / s). */
export interface AffineParams {
  /** Shift in pixels. */
  tx: number;
  ty: number;
  scale: number;
}

/** Draw the affine parameters for one image of side `size`. */
export function randomAffineParams(size: number, rng: Rng, opts: AugmentOptions = {}): AffineParams {
  const t = (opts.translate ?? 0.05) * size;
  const [s0, s1] = opts.scale ?? [0.95, 1.05];
  return { tx: rng.uniform(-t, t), ty: rng.uniform(-t, t), scale: rng.uniform(s0, s1) };
}

/** Apply one affine map to a size x size image (src row-major); writes into out (new array if absent). */
export function affineImage(src: ArrayLike<number>, size: number, p: AffineParams, out = new Float32Array(size * size)): Float32Array {
  const c = (size - 1) / 2;
  const inv = 1 / p.scale;
  for (let y = 0; y < size; y++) {
    const fy = (y - c - p.ty) * inv + c;
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = (x - c - p.tx) * inv + c;
      const x0 = Math.floor(fx);
      const wx = fx - x0;
      const at = (xx: number, yy: number): number =>
        xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : (src[yy * size + xx] as number);
      const top = at(x0, y0) * (1 - wx) + at(x0 + 1, y0) * wx;
      const bot = at(x0, y0 + 1) * (1 - wx) + at(x0 + 1, y0 + 1) * wx;
      out[y * size + x] = top * (1 - wy) + bot * wy;
    }
  }
  return out;
}

/** Augment every image of a batch with its own random affine; returns a new batch (same paths). */
export function augment(batch: ImageBatch, rng: Rng, opts: AugmentOptions = {}): ImageBatch {
  const { size } = batch;
  const px = size * size;
  const n = batch.x.length / px;
  const x = new Float32Array(batch.x.length);
  for (let i = 0; i < n; i++) {
    const p = randomAffineParams(size, rng, opts);
    affineImage(batch.x.subarray(i * px, (i + 1) * px), size, p, x.subarray(i * px, (i + 1) * px));
  }
  return { x, paths: batch.paths, size };
}
