/**
 * Helpers shared by the per-position exploration tools (tileScores.ts,
 * bankScores.ts): values per image and grid position held as [n, N] rows,
 * their per-position statistics, their reduction over positions, and AUC per
 * DigitAnatomy anomaly type.
 */
import { rocAuc } from '../src/node/metrics/roc.js';
import { ANOMALY_TYPES } from '../src/node/digitanatomy/generator.js';
import type { LabelledPixels } from '../src/node/score/statistics.js';

/** One array of the chunks, in order. */
export function concatF32(chunks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((t, v) => t + v.length, 0));
  let o = 0;
  for (const v of chunks) {
    out.set(v, o);
    o += v.length;
  }
  return out;
}

/** Per-position mean and std of [n, N] rows (a std of 0 counts as 1). */
export function positionStats(a: Float32Array, N: number): { mu: number[]; sd: number[] } {
  const n = a.length / N;
  const mu = Array.from({ length: N }, (_, p) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i * N + p]!;
    return s / n;
  });
  const sd = mu.map((m, p) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i * N + p]! - m) ** 2;
    return Math.sqrt(s / n) || 1;
  });
  return { mu, sd };
}

/** Per image: max or mean over positions of f(value, position). */
export function reduceRows(a: Float32Array, N: number, f: (v: number, p: number) => number, how: 'max' | 'mean'): number[] {
  const n = a.length / N;
  return Array.from({ length: n }, (_, i) => {
    let r = how === 'max' ? -Infinity : 0;
    for (let p = 0; p < N; p++) {
      const v = f(a[i * N + p]!, p);
      r = how === 'max' ? Math.max(r, v) : r + v / N;
    }
    return r;
  });
}

/** The header of a table with one AUC column in all and one per anomaly type, after `lead` columns. */
export function aucTableHeader(lead: string[]): string[] {
  return [`| ${lead.join(' | ')} | all | ${ANOMALY_TYPES.join(' | ')} |`, `|${lead.map(() => ' --- |').join('')} ---: |${ANOMALY_TYPES.map(() => ' ---: |').join('')}`];
}

/** "all | missing | ...": AUC of the score over the whole set, then of each type against all normals. */
export function aucCells(val: LabelledPixels, score: readonly number[]): string {
  const per = ANOMALY_TYPES.map((t) => {
    const idx = (val.types as string[]).map((u, i) => (u === t || u === 'normal' ? i : -1)).filter((i) => i >= 0);
    return rocAuc(
      idx.map((i) => val.labels[i]!),
      idx.map((i) => score[i]!),
    );
  });
  return [rocAuc(val.labels, score as number[]), ...per].map((a) => a.toFixed(3)).join(' | ');
}
