#!/usr/bin/env node
// Builds the oneDNN addon in native/ when possible. Never fails the install:
// on failure it records why in native/build/status.json and the program falls
// back to tfjs-cpu, saying so once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const statusFile = join(nativeDir, 'build', 'status.json');

function record(ok, reason) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ok, reason, at: new Date().toISOString() }, null, 2));
  if (!ok) console.warn(`squid-ts: native addon not built (${reason}); the tfjs-cpu backend will be used`);
}

if (process.env.SQUID_SKIP_NATIVE === '1') {
  record(false, 'SQUID_SKIP_NATIVE=1');
} else if (!existsSync(join(nativeDir, 'binding.gyp'))) {
  record(false, 'native/binding.gyp missing');
} else if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') && !existsSync('/usr/include/dnnl.hpp')) {
  record(false, 'oneDNN headers not found (install libdnnl-dev)');
} else {
  const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const args = existsSync(gyp) ? [gyp, 'rebuild'] : [process.env.npm_config_node_gyp ?? 'node-gyp', 'rebuild'];
  // Build against the headers of the running Node when it ships them (no download needed).
  const localNodeDir = dirname(dirname(process.execPath));
  const nodedir = process.env.npm_config_nodedir ??
    (existsSync(join(localNodeDir, 'include', 'node', 'common.gypi')) ? localNodeDir : undefined);
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: 'inherit' });
  if (r.status === 0) record(true, 'built');
  else record(false, `node-gyp rebuild exited with ${r.status ?? r.signal}`);
}
