/** Options shared by several verbs. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BACKEND_CHOICES } from '../backend/select.js';

export function addBackendOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--backend <name>', 'compute backend').choices(BACKEND_CHOICES as string[]).default('auto'),
  );
}

export function parseIntOption(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}; got "${v}"`);
    return n;
  };
}

/** A number > 0 (e.g. minutes). */
export function parsePositiveNumberOption(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number > 0; got "${v}"`);
    return n;
  };
}

/** `--json`: the verb prints its result as one JSON document on stdout instead of lines. */
export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print the result as JSON instead of lines');
}

/** Prints a verb's result: JSON with --json, else its lines (made only when needed). */
export function printResult(json: boolean | undefined, result: unknown, lines: () => string[]): void {
  process.stdout.write(json === true ? JSON.stringify(result, null, 2) + '\n' : lines().join('\n') + '\n');
}
