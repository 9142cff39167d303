/** `squid info --preset P [--json] [--config FILE]`: parameter counts and feature shapes. */
import type { Command } from 'commander';
import { PRESET_NAMES } from '../../../core/squid/presets.js';
import { countParameters, featureShapes } from '../../../core/model/summary.js';
import { loadPreset } from '../loadPreset.js';
import { addJsonOption, printResult } from '../options.js';

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function register(program: Command): void {
  addJsonOption(program.command('info'))
    .description('print a preset\'s trainable parameter counts and feature shapes')
    .requiredOption('--preset <name>', `model preset (${PRESET_NAMES.join(', ')})`)
    .option('--config <file>', 'JSON file of preset overrides (as squid train --config)')
    .action((opts: { preset: string; config?: string; json?: boolean }) => {
      const preset = loadPreset(opts.preset, opts.config);
      const counts = countParameters(preset);
      const shapes = featureShapes(preset);
      const P = preset.model.patchesPerSide;
      printResult(opts.json, { preset: preset.name, parameters: counts, features: shapes, model: preset.model }, () => [
        `preset: ${preset.name} (${preset.model.imageSize}x${preset.model.imageSize} px, ${P}x${P} patches, ${preset.model.channels.length - 1} levels)`,
        `trainable parameters:`,
        `  generator (incl. teacher): ${fmt(counts.generator)}`,
        `  teacher decoder:           ${fmt(counts.teacher)}`,
        `  discriminator:             ${fmt(counts.discriminator)}`,
        `non-trainable state (BN statistics, memory queues): ${fmt(counts.state)}`,
        `feature shapes (H x W x C, per image):`,
        ...shapes.map((s) => `  ${s.stage.padEnd(36)} ${s.shape.join(' x ').padEnd(16)} ${s.layout}${s.layout === 'per patch' ? ` (x${P * P})` : ''}`),
      ]);
    });
}
