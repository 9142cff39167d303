/**
 * `squid config --preset P [--config FILE]`: the whole resolved preset
 * (model, training and score kind) as JSON. Edit it and pass it back with
 * `squid train --config FILE`: every key is one `--config` accepts.
 */
import type { Command } from 'commander';
import { PRESET_NAMES } from '../../../core/squid/presets.js';
import { loadPreset } from '../loadPreset.js';

export function register(program: Command): void {
  program
    .command('config')
    .description('print a preset\'s whole resolved configuration as JSON (editable, and accepted back by --config)')
    .requiredOption('--preset <name>', `model preset (${PRESET_NAMES.join(', ')})`)
    .option('--config <file>', 'JSON file of preset overrides to apply first (as squid train --config)')
    .action((opts: { preset: string; config?: string }) => {
      const { name: _name, ...resolved } = loadPreset(opts.preset, opts.config);
      process.stdout.write(JSON.stringify(resolved, null, 2) + '\n');
    });
}
