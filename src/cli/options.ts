/** Options shared by several verbs. */
import { Option, type Command } from 'commander';
import { BACKEND_CHOICES } from '../backend/select.js';

export function addBackendOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--backend <name>', 'compute backend').choices(BACKEND_CHOICES as string[]).default('auto'),
  );
}

export function parseIntOption(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}; got "${v}"`);
    return n;
  };
}
