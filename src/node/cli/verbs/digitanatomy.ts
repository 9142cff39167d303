/** `squid digitanatomy`: write the DigitAnatomy benchmark (PNG files, labels.csv, sample sheet). */
import type { Command } from 'commander';
import { writeDigitAnatomy } from '../../digitanatomy/benchmark.js';
import { addJsonOption, parseIntOption, printResult } from '../options.js';
import { SquidError } from '../../../core/util/errors.js';

interface Opts {
  out: string;
  train: number;
  normal: number;
  abnormal: number;
  size: number;
  seed: number;
  json?: boolean;
}

export function register(program: Command): void {
  addJsonOption(program.command('digitanatomy'))
    .description('generate the DigitAnatomy benchmark (MNIST digit grids with four anomaly types) and its sample sheet')
    .requiredOption('--out <dir>', 'output folder')
    .option('--train <n>', 'normal training images', parseIntOption('--train'), 1600)
    .option('--normal <n>', 'normal test images', parseIntOption('--normal'), 400)
    .option('--abnormal <n>', 'abnormal test images (the four types in equal parts)', parseIntOption('--abnormal'), 400)
    .option('--size <px>', 'image side in pixels, a multiple of 3', parseIntOption('--size', 3), 96)
    .option('--seed <n>', 'random seed', parseIntOption('--seed'), 0)
    .addHelpText(
      'after',
      '\nWrites DIR/train/*.png, DIR/test/normal/*.png, DIR/test/abnormal/<type>_NNN.png\n' +
        '(types: missing, misordered, flipped, zero), DIR/labels.csv (path,label,type of the test images)\n' +
        'and DIR/samples.png (a row of normal images, then one row per anomaly type).',
    )
    .action(async (opts: Opts) => {
      if (opts.size % 3 !== 0) throw new SquidError(`--size must be a multiple of 3, got ${opts.size}`);
      const t0 = Date.now();
      const s = await writeDigitAnatomy(opts);
      const types = Object.entries(s.abnormal)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      printResult(opts.json, { ...s, size: opts.size, seconds: (Date.now() - t0) / 1000 }, () => [
        `wrote ${s.train} training, ${s.normal} normal and ${opts.abnormal} abnormal test images (${types}) ` +
          `of ${opts.size}x${opts.size} to ${s.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        `labels: ${s.labelsCsv}`,
        `sample sheet: ${s.sampleSheet}`,
      ]);
    });
}
