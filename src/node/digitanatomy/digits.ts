/**
 * MNIST digit source for DigitAnatomy (browser-safe types and helpers).
 * Each digit class d holds count[d] samples of 28x28 grayscale in [0, 1].
 */

/** Side of an MNIST digit image. */
export const MNIST_SIDE = 28;

/** Per-digit sample arrays: samples[d] is count*784 values (row-major 28x28 each). */
export interface MnistDigits {
  samples: readonly Float32Array[];
}

/**
 * Which samples of each digit class a generator draws from: 'train' (the
 * first 70%), 'val' (the next 10%: validation images whose digits training
 * never saw), 'test' (the last 20%) or 'all'.
 */
export type DigitSplit = 'train' | 'val' | 'test' | 'all';

/** Fraction of each digit class before the 'test' split ('train' then 'val'). */
export const TRAIN_FRACTION = 0.8;
/** Fraction of each digit class in the 'val' split (taken from the end of the first TRAIN_FRACTION). */
export const VAL_FRACTION = 0.1;

/** Number of samples of digit d. */
export function digitCount(digits: MnistDigits, d: number): number {
  const s = digits.samples[d];
  if (!s) throw new RangeError(`no MNIST samples for digit ${d}`);
  return s.length / (MNIST_SIDE * MNIST_SIDE);
}

/** [start, end) sample indices of digit d in a split. */
export function splitRange(digits: MnistDigits, d: number, split: DigitSplit): [number, number] {
  const n = digitCount(digits, d);
  const cut = Math.floor(n * TRAIN_FRACTION);
  const valCut = Math.floor(n * (TRAIN_FRACTION - VAL_FRACTION));
  if (split === 'train') return [0, valCut];
  if (split === 'val') return [valCut, cut];
  return split === 'test' ? [cut, n] : [0, n];
}

/** The 28x28 pixels of sample `index` of digit d (a view, not a copy). */
export function digitSample(digits: MnistDigits, d: number, index: number): Float32Array {
  const px = MNIST_SIDE * MNIST_SIDE;
  const s = digits.samples[d];
  if (!s || index < 0 || index >= s.length / px) throw new RangeError(`no MNIST sample ${index} of digit ${d}`);
  return s.subarray(index * px, (index + 1) * px);
}
