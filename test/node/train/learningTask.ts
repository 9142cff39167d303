/**
 * A small generated task for the learning test: chest-film-like images (two
 * lung fields crossed by rib bands, noise) as normals; abnormal ones carry a
 * hazy opacity in one lung (a bright, smooth blob that washes out the ribs),
 * the way pneumonia looks on a radiograph. Deterministic from the rng.
 */
import type { Rng } from '../../../src/core/util/rng.js';

export function chestLikeImage(rng: Rng, size: number, opacity: boolean): Float32Array {
  const out = new Float32Array(size * size);
  const period = size / rng.uniform(6, 9);
  const phase = rng.uniform(0, 2 * Math.PI);
  const slope = rng.uniform(-0.15, 0.15);
  const lungs = [0.3, 0.7].map((cx) => ({ cx: (cx + rng.uniform(-0.03, 0.03)) * size, cy: rng.uniform(0.47, 0.53) * size, rx: rng.uniform(0.13, 0.17) * size, ry: rng.uniform(0.28, 0.34) * size }));
  const side = rng.int(2);
  const lung = lungs[side]!;
  const blob = { x: lung.cx + rng.uniform(-0.5, 0.5) * lung.rx, y: lung.cy + rng.uniform(-0.5, 0.5) * lung.ry, s: rng.uniform(0.12, 0.16) * size };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0.12;
      for (const l of lungs) {
        const d = ((x - l.cx) / l.rx) ** 2 + ((y - l.cy) / l.ry) ** 2;
        if (d < 1) {
          const rib = 0.5 + 0.5 * Math.sin((2 * Math.PI * y) / period + phase + slope * x);
          v = 0.3 + 0.28 * rib * (1 - 0.5 * d);
        }
      }
      if (opacity) {
        const w = 0.95 * Math.exp(-((x - blob.x) ** 2 + (y - blob.y) ** 2) / (2 * blob.s ** 2));
        v = v * (1 - w) + 0.62 * w;
      }
      out[y * size + x] = Math.min(1, Math.max(0, v + 0.02 * rng.normal()));
    }
  }
  return out;
}

/** n normal images (n * size * size). */
export function chestLikeNormals(rng: Rng, size: number, n: number): Float32Array {
  const x = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) x.set(chestLikeImage(rng, size, false), i * size * size);
  return x;
}
