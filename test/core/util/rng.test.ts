import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/util/rng.js';

test('Rng: same seed gives the same stream; restored state continues it', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  const saved = a.getState();
  const next = [a.next(), a.next()];
  const c = new Rng(saved);
  assert.deepEqual([c.next(), c.next()], next);
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Rng(43).next()));
});

test('Rng: uniform values lie in [0, 1) with mean near 0.5', () => {
  const r = new Rng(1);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});
