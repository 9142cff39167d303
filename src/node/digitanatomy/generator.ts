/**
 * The DigitAnatomy generator (browser-safe; the digits are passed in).
 *
 * A normal image is a 3x3 grid of MNIST digits 1..9 in reading order, each
 * a random sample of its class, randomly cropped (a square of 60-100% of
 * the 28x28 area at a random position) and resized (bilinear) to a tile of
 * size/3 pixels. Anomalies change one or two tiles of a normal image:
 * - missing: one tile blank (all 0);
 * - misordered: two tiles swapped;
 * - flipped: one tile mirrored horizontally or vertically (pixels of the
 *   rendered tile, so it equals the mirrored normal tile exactly);
 * - zero: one tile replaced by a random, randomly cropped 0 digit.
 */
import { Rng } from '../../core/util/rng.js';
import { resizeBilinear, flipImage } from '../image/resize.js';
import { MNIST_SIDE, digitSample, splitRange, type DigitSplit, type MnistDigits } from './digits.js';

export const ANOMALY_TYPES = ['missing', 'misordered', 'flipped', 'zero'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** Tiles per side of the grid. */
export const GRID = 3;

/** A square crop of a 28x28 digit: top-left corner and side, in pixels. */
export interface Crop {
  x: number;
  y: number;
  side: number;
}

/** What one tile shows. */
export interface Tile {
  /** Digit class 0..9. */
  digit: number;
  /** Sample index within the digit class. */
  index: number;
  crop: Crop;
  /** Mirror the rendered tile. */
  flip?: 'horizontal' | 'vertical';
  /** A blank tile (missing digit): renders as all 0. */
  blank?: boolean;
}

/** A generated image with its recipe. */
export interface DigitAnatomyImage {
  /** size*size grayscale in [0, 1], row-major. */
  image: Float32Array;
  type: 'normal' | AnomalyType;
  /** The 9 tiles in reading order, as rendered. */
  tiles: Tile[];
  /** The normal image this one was derived from (equal to tiles when normal). */
  normalTiles: Tile[];
  /** Grid positions (0..8, reading order) the anomaly changed; [] when normal. */
  positions: number[];
}

export interface DigitAnatomyOptions {
  /** Image side in pixels; a multiple of 3 (96 for the reference, 48 for the tiny preset). */
  size: number;
  digits: MnistDigits;
  /** Which MNIST samples to draw from (default 'train'; the benchmark's test images use 'test'). */
  split?: DigitSplit;
  /** Seed of the generator's own Rng, used when a method gets no rng. Default 0. */
  seed?: number;
  /** Crop area range as fractions of the 28x28 area. Default [0.6, 1]. */
  cropArea?: [number, number];
}

export class DigitAnatomy {
  readonly size: number;
  /** Tile side: size / 3. */
  readonly tile: number;
  readonly split: DigitSplit;
  private readonly digits: MnistDigits;
  private readonly rng: Rng;
  private readonly cropArea: [number, number];

  constructor(opts: DigitAnatomyOptions) {
    if (!Number.isInteger(opts.size) || opts.size < GRID || opts.size % GRID !== 0) {
      throw new RangeError(`DigitAnatomy size must be a positive multiple of 3, got ${opts.size}`);
    }
    this.size = opts.size;
    this.tile = opts.size / GRID;
    this.split = opts.split ?? 'train';
    this.digits = opts.digits;
    this.rng = new Rng(opts.seed ?? 0);
    this.cropArea = opts.cropArea ?? [0.6, 1];
    for (let d = 0; d <= 9; d++) {
      const [a, b] = splitRange(this.digits, d, this.split);
      if (b <= a) throw new RangeError(`no MNIST samples of digit ${d} in split ${this.split}`);
    }
  }

  /** A random sample of digit d with a random crop. */
  randomTile(digit: number, rng: Rng = this.rng): Tile {
    const [a, b] = splitRange(this.digits, digit, this.split);
    const index = a + rng.int(b - a);
    const area = rng.uniform(this.cropArea[0], this.cropArea[1]);
    const side = Math.min(MNIST_SIDE, Math.max(1, Math.round(MNIST_SIDE * Math.sqrt(area))));
    const x = rng.int(MNIST_SIDE - side + 1);
    const y = rng.int(MNIST_SIDE - side + 1);
    return { digit, index, crop: { x, y, side } };
  }

  /** The 9 tiles of a fresh normal image: digits 1..9 in reading order. */
  sampleNormalTiles(rng: Rng = this.rng): Tile[] {
    return Array.from({ length: GRID * GRID }, (_, i) => this.randomTile(i + 1, rng));
  }

  /** Turn normal tiles into an anomaly of the given type (new array; input unchanged). */
  applyAnomaly(tiles: readonly Tile[], type: AnomalyType, rng: Rng = this.rng): { tiles: Tile[]; positions: number[] } {
    const out = tiles.map((t) => ({ ...t, crop: { ...t.crop } }));
    const n = out.length;
    const i = rng.int(n);
    switch (type) {
      case 'missing':
        out[i] = { ...(out[i] as Tile), blank: true };
        return { tiles: out, positions: [i] };
      case 'misordered': {
        let j = rng.int(n - 1);
        if (j >= i) j++;
        const t = out[i] as Tile;
        out[i] = out[j] as Tile;
        out[j] = t;
        return { tiles: out, positions: [i, j].sort((a, b) => a - b) };
      }
      case 'flipped':
        out[i] = { ...(out[i] as Tile), flip: rng.next() < 0.5 ? 'horizontal' : 'vertical' };
        return { tiles: out, positions: [i] };
      case 'zero':
        out[i] = this.randomTile(0, rng);
        return { tiles: out, positions: [i] };
      default: {
        const never: never = type;
        throw new RangeError(`unknown anomaly type ${String(never)}`);
      }
    }
  }

  /** Render one tile: tile*tile values. */
  renderTile(t: Tile): Float32Array {
    const s = this.tile;
    if (t.blank) return new Float32Array(s * s);
    const src = digitSample(this.digits, t.digit, t.index);
    const { x, y, side } = t.crop;
    const crop = new Float32Array(side * side);
    for (let r = 0; r < side; r++) crop.set(src.subarray((y + r) * MNIST_SIDE + x, (y + r) * MNIST_SIDE + x + side), r * side);
    let img = resizeBilinear(crop, side, side, s, s);
    for (let k = 0; k < img.length; k++) img[k] = Math.min(1, Math.max(0, img[k] as number));
    if (t.flip) img = flipImage(img, s, s, t.flip);
    return img;
  }

  /** Render 9 tiles (reading order) into a size*size image. */
  render(tiles: readonly Tile[], out = new Float32Array(this.size * this.size)): Float32Array {
    if (tiles.length !== GRID * GRID) throw new RangeError(`render needs 9 tiles, got ${tiles.length}`);
    const s = this.tile;
    tiles.forEach((t, k) => {
      const img = this.renderTile(t);
      const ox = (k % GRID) * s;
      const oy = Math.floor(k / GRID) * s;
      for (let r = 0; r < s; r++) out.set(img.subarray(r * s, (r + 1) * s), (oy + r) * this.size + ox);
    });
    return out;
  }

  /** The tile at grid position k (0..8) cut from a rendered image: tile*tile values. */
  tileOf(image: Float32Array, k: number): Float32Array {
    const s = this.tile;
    const ox = (k % GRID) * s;
    const oy = Math.floor(k / GRID) * s;
    const out = new Float32Array(s * s);
    for (let r = 0; r < s; r++) out.set(image.subarray((oy + r) * this.size + ox, (oy + r) * this.size + ox + s), r * s);
    return out;
  }

  /** A fresh normal image (size*size). */
  normal(rng: Rng = this.rng): Float32Array {
    return this.render(this.sampleNormalTiles(rng));
  }

  /** A fresh normal image with its recipe. */
  normalWithTiles(rng: Rng = this.rng): DigitAnatomyImage {
    const tiles = this.sampleNormalTiles(rng);
    return { image: this.render(tiles), type: 'normal', tiles, normalTiles: tiles, positions: [] };
  }

  /** A fresh anomalous image of the given type, with its recipe. */
  abnormal(type: AnomalyType, rng: Rng = this.rng): DigitAnatomyImage {
    const normalTiles = this.sampleNormalTiles(rng);
    const { tiles, positions } = this.applyAnomaly(normalTiles, type, rng);
    return { image: this.render(tiles), type, tiles, normalTiles, positions };
  }

  /**
   * n fresh normal images for training: x is n*size*size (N, H, W). The
   * paper draws new images every epoch.
   */
  normalBatch(n: number, rng: Rng = this.rng): Float32Array {
    const px = this.size * this.size;
    const x = new Float32Array(n * px);
    for (let i = 0; i < n; i++) this.render(this.sampleNormalTiles(rng), x.subarray(i * px, (i + 1) * px));
    return x;
  }
}

/** Whether a string names an anomaly type. */
export function isAnomalyType(s: string): s is AnomalyType {
  return (ANOMALY_TYPES as readonly string[]).includes(s);
}
