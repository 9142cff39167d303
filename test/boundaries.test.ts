/**
 * The layer boundaries of ARCHITECTURE.md are enforced by lint: src/core/
 * (browser-safe) takes nothing from Node or from src/node/, and the app
 * imports squid-ts only through src/core/index.js. Checked by linting probe
 * sources placed (virtually) in those folders, so a config change that
 * drops a rule fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: REPO });

async function problems(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return (r?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

test('src/core/ refuses Node built-ins, Node-only packages, Node globals and src/node/', async () => {
  const cases: [string, RegExp][] = [
    ["import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n", /no-restricted-imports/],
    ["import path from 'path';\nexport const p = path;\n", /no-restricted-imports/],
    ["import sharp from 'sharp';\nexport const s = sharp;\n", /no-restricted-imports/],
    ["import { train } from '../node/api.js';\nexport const t = train;\n", /never imports from src\/node/],
    ['export const e = process.env.X;\n', /no-restricted-globals/],
  ];
  for (const [code, rule] of cases) assert.match((await problems('src/core/score/probe.ts', code)).join('\n'), rule, code);
  assert.deepEqual(await problems('src/core/score/probe.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const t = tf;\n"), []);
  // Node code may use both
  assert.deepEqual(await problems('src/node/io/probe.ts', "import path from 'node:path';\nimport { getPreset } from '../../core/squid/presets.js';\nexport const x = [path, getPreset];\n"), []);
});

test('the app imports squid-ts only through src/core/index.js', async () => {
  assert.match(
    (await problems('app/src/probe.ts', "import { createSquid } from '../../src/core/model/squid.js';\nexport const c = createSquid;\n")).join('\n'),
    /only through src\/core\/index\.js/,
  );
  assert.match((await problems('app/src/probe.ts', "import { train } from '../../src/node/api.js';\nexport const c = train;\n")).join('\n'), /only through/);
  assert.deepEqual(await problems('app/src/probe.ts', "import { createSquid } from '../../src/core/index.js';\nexport const c = createSquid;\n"), []);
});
