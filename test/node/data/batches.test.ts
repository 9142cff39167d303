import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../src/core/util/rng.js';
import { batchesOf, epochBatches, inMemoryBatches, shuffledOrder } from '../../../src/node/data/batches.js';
import { saveGrayPng } from '../../../src/node/image/encode.js';
import { writeFile } from 'node:fs/promises';

test('shuffle and batching are deterministic for a seed and cover every item once', () => {
  const items = Array.from({ length: 23 }, (_, i) => `f${i}`);
  const a = batchesOf(items, { batchSize: 5, rng: new Rng(7) });
  const b = batchesOf(items, { batchSize: 5, rng: new Rng(7) });
  assert.deepEqual(a, b);
  assert.deepEqual(a.map((x) => x.length), [5, 5, 5, 5, 3]);
  assert.deepEqual(a.flat().sort(), [...items].sort());
  assert.notDeepEqual(a.flat(), items, 'shuffled');
  assert.notDeepEqual(batchesOf(items, { batchSize: 5, rng: new Rng(8) }), a);
  assert.deepEqual(batchesOf(items, { batchSize: 5, rng: new Rng(7), dropLast: true }).map((x) => x.length), [5, 5, 5, 5]);
  assert.deepEqual(batchesOf(items, { batchSize: 10 }).flat(), items, 'no rng keeps the order');
  assert.throws(() => batchesOf(items, { batchSize: 0 }), RangeError);
});

test('a restored Rng state continues with the same epoch order', () => {
  const r = new Rng(3);
  shuffledOrder(10, r);
  const saved = r.getState();
  const next = shuffledOrder(10, r);
  assert.deepEqual(shuffledOrder(10, new Rng(saved)), next);
});

test('epochBatches loads images into N*S*S batches, skipping unreadable files when asked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'squid-batch-'));
  try {
    const paths: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = join(dir, `${i}.png`);
      await saveGrayPng(p, new Float32Array(16).fill(i / 10), 4, 4);
      paths.push(p);
    }
    const bad = join(dir, 'bad.png');
    await writeFile(bad, 'garbage');
    paths.push(bad);
    const skipped: string[] = [];
    const seen: string[] = [];
    for await (const b of epochBatches(paths, { batchSize: 4, size: 4, rng: new Rng(1), skipUnreadable: true, onSkip: (s) => skipped.push(s.path) })) {
      assert.equal(b.x.length, b.paths.length * 16);
      b.paths.forEach((p, k) => {
        const v = Number(p.slice(dir.length + 1).split('.')[0]) / 10;
        assert.ok(Math.abs((b.x[k * 16] as number) - v) < 1 / 255, 'pixels belong to their path');
      });
      seen.push(...b.paths);
    }
    assert.deepEqual(skipped, [bad]);
    assert.deepEqual(seen.sort(), paths.slice(0, 5).sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('inMemoryBatches cuts copies of the right images', () => {
  const size = 2;
  const all = { x: Float32Array.from({ length: 5 * 4 }, (_, i) => Math.floor(i / 4)), paths: ['0', '1', '2', '3', '4'], size };
  const batches = [...inMemoryBatches(all, { batchSize: 2, rng: new Rng(5) })];
  assert.equal(batches.length, 3);
  for (const b of batches) b.paths.forEach((p, k) => assert.ok(b.x.subarray(k * 4, k * 4 + 4).every((v) => v === Number(p))));
});
