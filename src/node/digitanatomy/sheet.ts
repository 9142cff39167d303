/** A sample sheet: rows of normal images and of each anomaly type, as one grayscale image. */
import { Rng } from '../../core/util/rng.js';
import { ANOMALY_TYPES, type DigitAnatomy } from './generator.js';

export interface SampleSheet {
  /** height*width grayscale in [0, 1]. */
  data: Float32Array;
  width: number;
  height: number;
  /** Row labels, top to bottom: 'normal', then the anomaly types. */
  rows: string[];
}

/**
 * Build a sheet of `perRow` images per row: one row of normal images, then
 * one row per anomaly type, separated by a 2-pixel mid-grey gutter.
 */
export function sampleSheet(gen: DigitAnatomy, rng: Rng, perRow = 6): SampleSheet {
  const gap = 2;
  const s = gen.size;
  const rows = ['normal', ...ANOMALY_TYPES];
  const width = perRow * s + (perRow + 1) * gap;
  const height = rows.length * s + (rows.length + 1) * gap;
  const data = new Float32Array(width * height).fill(0.5);
  rows.forEach((row, r) => {
    for (let c = 0; c < perRow; c++) {
      const img = row === 'normal' ? gen.normal(rng) : gen.abnormal(row as (typeof ANOMALY_TYPES)[number], rng).image;
      const ox = gap + c * (s + gap);
      const oy = gap + r * (s + gap);
      for (let y = 0; y < s; y++) data.set(img.subarray(y * s, (y + 1) * s), (oy + y) * width + ox);
    }
  });
  return { data, width, height, rows };
}
