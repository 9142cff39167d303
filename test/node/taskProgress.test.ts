/** Progress of long steps (src/node/taskProgress.ts) and where the CLI shows it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineTasks, withTask } from '../../src/node/taskProgress.js';
import { loadBatch } from '../../src/node/data/batches.js';
import { saveGrayPng } from '../../src/node/image/encode.js';
import { join } from 'node:path';
import { withTempDir } from '../tmpDir.js';

test('lineTasks: a start line, at most one line per 10 s with count and ETA, an end line; ended on failure too', async () => {
  const out: string[] = [];
  let now = 0;
  const tasks = lineTasks((s) => out.push(s), () => now);
  const t = tasks('scoring 100 images', 100);
  for (let i = 1; i <= 100; i++) {
    now += 500; // 0.5 s per image: 50 s in all
    t.tick(i);
  }
  t.end();
  assert.equal(out[0], 'scoring 100 images...\n');
  const middle = out.slice(1, -1);
  assert.equal(middle.length, 4, `one line per 10 s of 50: ${JSON.stringify(middle)}`);
  assert.match(middle[0]!, /^scoring 100 images: 20\/100 \(20%\), ETA 40 s\n$/);
  assert.equal(out[out.length - 1], 'scoring 100 images: 100/100 in 50.0 s\n');

  const failed: string[] = [];
  await assert.rejects(withTask(lineTasks((s) => failed.push(s), () => 0), 'loading', 3, async () => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(failed.length, 2, 'start and end lines even when the task fails');
});

test('loadBatch reports each file done', async () => {
  await withTempDir('progress', async (dir) => {
    const paths = await Promise.all([0, 1, 2].map(async (i) => {
      const p = join(dir, `${i}.png`);
      await saveGrayPng(p, new Float32Array(16).fill(i / 3), 4, 4);
      return p;
    }));
    const seen: number[] = [];
    await loadBatch(paths, { size: 4, onProgress: (n) => seen.push(n) });
    assert.deepEqual(seen, [1, 2, 3]);
  });
});
