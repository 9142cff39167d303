/** The README's "From code" example runs as written, with the package name pointed at dist/. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { saveGrayPng } from '../../src/node/image/encode.js';
import { REPO, DIST } from '../repo.js';
import { withTempDir } from '../tmpDir.js';

/** The indented code block that follows "From code:" in the README. */
function fromCodeExample(readme: string): string {
  const after = readme.split('From code:\n')[1];
  assert.ok(after, 'README has a "From code:" section');
  const lines = after.replace(/^\n+/, '').split('\n');
  const end = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('    '));
  return lines.slice(0, end < 0 ? lines.length : end).map((l) => l.slice(4)).join('\n').trim();
}

test('README "From code": the example trains, loads a detector and scores an image file', async () => {
  const code = fromCodeExample(await readFile(join(REPO, 'README.md'), 'utf8'));
  assert.match(code, /from 'squid-ts'/);
  await withTempDir('readme', async (dir) => {
    await saveGrayPng(join(dir, 'scan.png'), Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 64) / 64), 64, 64);
    const program = `${code.replace(/from 'squid-ts'/, `from '${DIST}/src/node/index.js'`)}\nconsole.log(JSON.stringify({ score, anomalous }));\n`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program], {
      cwd: dir,
      env: { ...process.env, SQUID_THREADS: process.env.SQUID_THREADS ?? '2' },
      maxBuffer: 16 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { score: number; anomalous: boolean };
    assert.ok(r.score >= 0 && r.score <= 1, `score ${r.score} in [0, 1]`);
    assert.equal(typeof r.anomalous, 'boolean');
  });
});
