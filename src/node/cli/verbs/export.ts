/** `squid export`: a browser-ready model (TF.js artifacts + squid.json) from a training run. */
import { Option, type Command } from 'commander';
import { QUANTIZATIONS, type Quantization } from '../../../core/io/quantize.js';
import { exportRun } from '../../export/exportRun.js';
import { createSquid } from '../../../core/model/squid.js';
import { useBackend } from '../../backend/select.js';
import { addJsonOption, printResult } from '../options.js';

export function register(program: Command): void {
  addJsonOption(program
    .command('export')
    .description('write a trained run as a browser-ready model folder (model.json, 4 MB weight shards, squid.json)')
    .requiredOption('--run <dir>', 'training run folder (made by `squid train`)')
    .requiredOption('--out <dir>', 'folder to write the export into')
    .addOption(new Option('--quantize <dtype>', 'store the weights as float16 (half the size) or uint8 (a quarter); default float32').choices(QUANTIZATIONS as string[])))
    .action(async (opts: { run: string; out: string; json?: boolean; quantize?: Quantization }) => {
      // Export only moves tensors; tfjs-cpu is plenty and says nothing.
      await useBackend('cpu', { quiet: true });
      const info = await exportRun(opts.run, opts.out, (preset) => createSquid(preset, { seed: 0 }), { quantize: opts.quantize });
      const primary = info.scoring[info.primaryScore];
      const th = primary && Number.isFinite(primary.threshold) ? `threshold ${primary.threshold.toFixed(4)} (${primary.policy})` : 'no threshold';
      const result = { out: opts.out, files: info.files, quantization: opts.quantize ?? 'none', preset: info.preset.name, inputSize: info.inputSize, score: info.primaryScore, threshold: primary?.threshold ?? null };
      printResult(opts.json, result, () => [
        `squid: exported ${info.preset.name} (${info.inputSize}x${info.inputSize}, trained on ${info.training.data}, ${th}) to ${opts.out}`,
        '       open its files in the browser app (`squid serve-app`)',
      ]);
    });
}
