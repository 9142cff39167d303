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

/** Which samples of each digit class a generator draws from. */
export type DigitSplit = 'train' | 'test' | 'all';

/** Fraction of each digit class used by the 'train' split; the rest is 'test'. */
export const TRAIN_FRACTION = 0.8;

/** Number of samples of digit d. */
export function digitCount(digits: MnistDigits, d: number): number {
  const s = digits.samples[d];
  if (!s) throw new RangeError(`no MNIST samples for digit ${d}`);
  return s.length / (MNIST_SIDE * MNIST_SIDE);
}

/** Sample indices [start, end) of digit d in a split: first 80% = train, last 20% = test. */
export function splitRange(digits: MnistDigits, d: number, split: DigitSplit): [number, number] {
  const n = digitCount(digits, d);
  const cut = Math.floor(n * TRAIN_FRACTION);
  return split === 'train' ? [0, cut] : split === 'test' ? [cut, n] : [0, n];
}

/** The 28x28 pixels of sample `index` of digit d (a view, not a copy). */
export function digitSample(digits: MnistDigits, d: number, index: number): Float32Array {
  const px = MNIST_SIDE * MNIST_SIDE;
  const s = digits.samples[d];
  if (!s || index < 0 || index >= s.length / px) throw new RangeError(`no MNIST sample ${index} of digit ${d}`);
  return s.subarray(index * px, (index + 1) * px);
}
