/** `squid serve-app`: serves the built browser app on localhost (127.0.0.1 only). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { serveStatic } from '../../export/appServer.js';
import { SquidError } from '../../../core/util/errors.js';
import { parseIntOption } from '../options.js';

/** app/dist of this package (dist/src/cli/verbs -> repo root). */
export function defaultAppDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'app', 'dist');
}

export function register(program: Command): void {
  program
    .command('serve-app')
    .description('serve the browser app on http://127.0.0.1 (images never leave the browser)')
    .option('--port <n>', 'port (0 = any free port)', parseIntOption('--port', 0), 8173)
    .option('--dir <path>', 'built app folder (default: app/dist)')
    .action(async (opts: { port: number; dir?: string }) => {
      const dir = opts.dir ?? defaultAppDir();
      if (!existsSync(join(dir, 'index.html'))) {
        throw new SquidError(`${dir}: no built app here; run \`npm run app:build\` first`);
      }
      if (opts.port > 65535) throw new SquidError(`--port must be at most 65535; got ${opts.port}`);
      const srv = await serveStatic(dir, opts.port);
      process.stdout.write(`squid: serving the app at ${srv.url} (Ctrl-C stops it; nothing is uploaded)\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          void srv.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
