#!/usr/bin/env node
// Entry point of the `squid` command: runs the compiled CLI.
import('../dist/src/node/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
