/** `squid export`: a browser-ready model (TF.js artifacts + squid.json) from a training run. */
import type { Command } from 'commander';
import { exportRun } from '../../export/exportRun.js';
import { createSquid } from '../../../core/squid/squid.js';
import { useBackend } from '../../backend/select.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('write a trained run as a browser-ready model folder (model.json, weights.bin, squid.json)')
    .requiredOption('--run <dir>', 'training run folder (made by `squid train`)')
    .requiredOption('--out <dir>', 'folder to write the export into')
    .action(async (opts: { run: string; out: string }) => {
      // Export only moves tensors; tfjs-cpu is plenty and says nothing.
      await useBackend('cpu', { quiet: true });
      const info = await exportRun(opts.run, opts.out, (preset) => createSquid(preset, { seed: 0 }));
      const primary = info.scoring[info.primaryScore];
      const th = primary && Number.isFinite(primary.threshold) ? `threshold ${primary.threshold.toFixed(4)} (${primary.policy})` : 'no threshold';
      process.stdout.write(
        `squid: exported ${info.preset.name} (${info.inputSize}x${info.inputSize}, trained on ${info.training.data}, ${th}) to ${opts.out}\n` +
          `       open its files in the browser app (\`squid serve-app\`)\n`,
      );
    });
}
