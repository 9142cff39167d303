/**
 * Where training batches come from. Every batch is a pure function of
 * (seed, epoch, batch index), so a resumed run sees the same data as an
 * uninterrupted one without replaying the stream.
 */
import { Rng } from '../../core/util/rng.js';
import type { DigitAnatomy } from '../digitanatomy/generator.js';

export interface BatchSource {
  /** Image side in pixels. */
  readonly size: number;
  /** Words for logs, e.g. "1241 images in data/train". */
  readonly description: string;
  /** Whole batches per epoch (a short last batch is dropped). */
  batchesPerEpoch(batchSize: number): number;
  /** Batch b of epoch e: batchSize*S*S values in [0, 1], row-major per image. */
  batch(epoch: number, b: number, batchSize: number): Float32Array;
  /**
   * Up to n un-augmented training images (n*S*S), the same every call: for
   * score statistics and the patch memory. Samples at offsets a and b share
   * no image when a + n <= b (as far as the folder holds enough images;
   * generated data draws a separate stream per offset).
   */
  sample(n: number, offset?: number): Float32Array;
}

/** A seed for (seed, ...parts), well mixed (murmur3 finalizer per part). */
export function mixSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Images held in memory (n*S*S row-major), shuffled anew every epoch. */
export class ArraySource implements BatchSource {
  readonly count: number;
  private order: { epoch: number; perm: number[] } | undefined;

  constructor(
    private readonly pixels: Float32Array,
    readonly size: number,
    private readonly seed: number,
    readonly description = `${pixels.length / (size * size)} images`,
  ) {
    this.count = pixels.length / (size * size);
    if (!Number.isInteger(this.count) || this.count === 0) {
      throw new RangeError(`ArraySource: ${pixels.length} values is not a whole, non-zero number of ${size}x${size} images`);
    }
  }

  batchesPerEpoch(batchSize: number): number {
    return Math.floor(this.count / batchSize);
  }

  private permutation(epoch: number): number[] {
    if (this.order?.epoch !== epoch) {
      const perm = Array.from({ length: this.count }, (_, i) => i);
      new Rng(mixSeed(this.seed, 0x5eed, epoch)).shuffle(perm);
      this.order = { epoch, perm };
    }
    return this.order.perm;
  }

  batch(epoch: number, b: number, batchSize: number): Float32Array {
    const perm = this.permutation(epoch);
    const px = this.size * this.size;
    const x = new Float32Array(batchSize * px);
    for (let i = 0; i < batchSize; i++) {
      const k = perm[(b * batchSize + i) % this.count] as number;
      x.set(this.pixels.subarray(k * px, (k + 1) * px), i * px);
    }
    return x;
  }

  sample(n: number, offset = 0): Float32Array {
    const px = this.size * this.size;
    if (offset === 0) return this.pixels.slice(0, Math.min(n, this.count) * px);
    // cycled through the folder from the offset (modulo its size)
    const m = Math.min(n, this.count);
    const out = new Float32Array(m * px);
    for (let i = 0; i < m; i++) {
      const k = (offset + i) % this.count;
      out.set(this.pixels.subarray(k * px, (k + 1) * px), i * px);
    }
    return out;
  }
}

/** Freshly generated normal DigitAnatomy images: `imagesPerEpoch` new ones every epoch. */
export class DigitAnatomySource implements BatchSource {
  readonly size: number;
  readonly description: string;

  constructor(
    private readonly gen: DigitAnatomy,
    private readonly imagesPerEpoch: number,
    private readonly seed: number,
  ) {
    this.size = gen.size;
    this.description = `${imagesPerEpoch} freshly generated DigitAnatomy images per epoch (${gen.size} px)`;
  }

  batchesPerEpoch(batchSize: number): number {
    return Math.max(1, Math.floor(this.imagesPerEpoch / batchSize));
  }

  batch(epoch: number, b: number, batchSize: number): Float32Array {
    return this.gen.normalBatch(batchSize, new Rng(mixSeed(this.seed, 0xd161, epoch, b)));
  }

  sample(n: number, offset = 0): Float32Array {
    return this.gen.normalBatch(n, new Rng(offset === 0 ? mixSeed(this.seed, 0x57a7) : mixSeed(this.seed, 0x57a7, offset)));
  }
}
