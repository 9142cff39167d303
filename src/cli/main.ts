/**
 * The `squid` command: one program, one verb per job. Each verb lives in
 * src/cli/verbs/<verb>.ts and exports `register(program)`.
 */
import { Command } from 'commander';
import { SquidError } from '../util/errors.js';
import { VERBS } from './verbs/index.js';

export function buildProgram(): Command {
  const program = new Command('squid')
    .description('SQUID unsupervised anomaly detection for radiographs (train on normal images, flag the rest)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of VERBS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = 2;
      return;
    }
    if (err instanceof SquidError) {
      process.stderr.write(`squid: ${err.message}\n`);
    } else {
      process.stderr.write(`squid: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
