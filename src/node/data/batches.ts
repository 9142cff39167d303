/**
 * Deterministic shuffling, batching and batch loading. The order depends
 * only on the Rng state, so a run resumed from a saved Rng state sees the
 * same batches.
 */
import { Rng } from '../../core/util/rng.js';
import { ImageLoadError, loadImage, type FitMode } from '../image/load.js';
import type { ImageBatch } from './types.js';

/** A permutation of 0..n-1 drawn from rng (Fisher-Yates). */
export function shuffledOrder(n: number, rng: Rng): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

export interface BatchingOptions {
  batchSize: number;
  /** Shuffle with this generator first; without it the input order is kept. */
  rng?: Rng;
  /** Drop a last, smaller batch. Default false. */
  dropLast?: boolean;
}

/** Split items into batches (shuffled first when opts.rng is given). */
export function batchesOf<T>(items: readonly T[], opts: BatchingOptions): T[][] {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = opts.rng ? shuffledOrder(items.length, opts.rng) : items.map((_, i) => i);
  const out: T[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    if (idx.length < batchSize && opts.dropLast) break;
    out.push(idx.map((j) => items[j] as T));
  }
  return out;
}

export interface LoadBatchOptions {
  size: number;
  fit?: FitMode;
  /** Skip unreadable files (recorded in `skipped`) instead of throwing. Default false. */
  skipUnreadable?: boolean;
  /** Files decoded at once (default 4). */
  concurrency?: number;
  /** Called with the number of files done so far, after each one. */
  onProgress?: (done: number) => void;
}

/** One skipped file: its path and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** Load images into one batch. x: N*size*size (N = loaded files, in input order). */
export async function loadBatch(
  paths: readonly string[],
  opts: LoadBatchOptions,
): Promise<ImageBatch & { skipped: SkippedFile[] }> {
  const { size } = opts;
  const results: (Float32Array | SkippedFile)[] = new Array(paths.length);
  const conc = Math.max(1, opts.concurrency ?? 4);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const p = paths[i] as string;
      try {
        results[i] = await loadImage(p, { size, fit: opts.fit });
      } catch (err) {
        if (opts.skipUnreadable && err instanceof ImageLoadError) results[i] = { path: p, reason: err.reason };
        else throw err;
      }
      opts.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, paths.length) }, worker));
  const images = results.filter((r): r is Float32Array => r instanceof Float32Array);
  const skipped = results.filter((r): r is SkippedFile => !(r instanceof Float32Array));
  const x = new Float32Array(images.length * size * size);
  images.forEach((img, k) => x.set(img, k * size * size));
  const loaded = paths.filter((_, i) => results[i] instanceof Float32Array);
  return { x, paths: loaded, size, skipped };
}

export interface EpochOptions extends LoadBatchOptions, BatchingOptions {
  /** Called once per skipped file (when skipUnreadable). */
  onSkip?: (s: SkippedFile) => void;
}

/**
 * One epoch over the files: shuffled (when opts.rng) into batches, each
 * loaded as it is requested. With skipUnreadable a batch may be smaller
 * than batchSize; an entirely unreadable batch is not yielded.
 */
export async function* epochBatches(paths: readonly string[], opts: EpochOptions): AsyncGenerator<ImageBatch> {
  for (const group of batchesOf(paths, opts)) {
    const b = await loadBatch(group, opts);
    for (const s of b.skipped) opts.onSkip?.(s);
    if (b.paths.length > 0) yield { x: b.x, paths: b.paths, size: b.size };
  }
}

/**
 * Load every file once into memory (for small sets that are revisited every
 * epoch). Returns the batch of all readable images and the skipped files.
 */
export async function loadAll(paths: readonly string[], opts: LoadBatchOptions): Promise<ImageBatch & { skipped: SkippedFile[] }> {
  return loadBatch(paths, opts);
}

/**
 * Batches cut from images already in memory (all: N*size*size), shuffled by
 * rng when given. Copies the pixels of each batch.
 */
export function* inMemoryBatches(all: ImageBatch, opts: BatchingOptions): Generator<ImageBatch> {
  const n = all.paths.length;
  const px = all.size * all.size;
  for (const idx of batchesOf(Array.from({ length: n }, (_, i) => i), opts)) {
    const x = new Float32Array(idx.length * px);
    idx.forEach((j, k) => x.set(all.x.subarray(j * px, (j + 1) * px), k * px));
    yield { x, paths: idx.map((j) => all.paths[j] as string), size: all.size };
  }
}
