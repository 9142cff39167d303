/**
 * The `squid` command: one program, one verb per job. Each verb lives in
 * src/node/cli/verbs/<verb>.ts and exports `register(program)`.
 */
import { Command } from 'commander';
import { SquidError } from '../../core/util/errors.js';
import { VERBS } from './verbs/index.js';
import { SQUID_TS_VERSION } from '../api.js';

export function buildProgram(): Command {
  const program = new Command('squid')
    .description('SQUID unsupervised anomaly detection for radiographs (train on normal images, flag the rest)')
    .version(SQUID_TS_VERSION, '-V, --version', 'print the squid-ts version')
    .showHelpAfterError()
    .exitOverride();
  for (const register of VERBS) register(program);
  return program;
}

/** What a user can act on in a file-system error (a path and its problem), or null for a bug. */
const FS_PROBLEMS: Record<string, string> = {
  EEXIST: 'exists already and is not a folder',
  ENOTDIR: 'a part of this path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'a symbolic link loops',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
};

function fileSystemProblem(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  const problem = typeof e?.code === 'string' ? FS_PROBLEMS[e.code] : undefined;
  return problem && typeof e.path === 'string' ? `${e.path}: ${problem}` : null;
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
    const fsLine = err instanceof SquidError ? null : fileSystemProblem(err);
    if (err instanceof SquidError) {
      process.stderr.write(`squid: ${err.message}\n`);
    } else if (fsLine) {
      process.stderr.write(`squid: ${fsLine}\n`);
    } else {
      process.stderr.write(`squid: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
