/** `squid export`: a browser-ready model (TF.js artifacts + squid.json) from a training run. */
import type { Command } from 'commander';
import { exportRun } from '../../export/exportRun.js';
import { createSquid } from '../../../core/model/squid.js';
import { useBackend } from '../../backend/select.js';
import { addJsonOption, printResult } from '../options.js';

export function register(program: Command): void {
  addJsonOption(program
    .command('export')
    .description('write a trained run as a browser-ready model folder (model.json, weights.bin, squid.json)')
    .requiredOption('--run <dir>', 'training run folder (made by `squid train`)')
    .requiredOption('--out <dir>', 'folder to write the export into'))
    .action(async (opts: { run: string; out: string; json?: boolean }) => {
      // Export only moves tensors; tfjs-cpu is plenty and says nothing.
      await useBackend('cpu', { quiet: true });
      const info = await exportRun(opts.run, opts.out, (preset) => createSquid(preset, { seed: 0 }));
      const primary = info.scoring[info.primaryScore];
      const th = primary && Number.isFinite(primary.threshold) ? `threshold ${primary.threshold.toFixed(4)} (${primary.policy})` : 'no threshold';
      const result = { out: opts.out, preset: info.preset.name, inputSize: info.inputSize, score: info.primaryScore, threshold: primary?.threshold ?? null };
      printResult(opts.json, result, () => [
        `squid: exported ${info.preset.name} (${info.inputSize}x${info.inputSize}, trained on ${info.training.data}, ${th}) to ${opts.out}`,
        '       open its files in the browser app (`squid serve-app`)',
      ]);
    });
}
