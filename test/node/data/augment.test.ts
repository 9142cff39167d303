import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/util/rng.js';
import { affineImage, augment, randomAffineParams } from '../../../src/node/data/augment.js';

const S = 20;
const ramp = Float32Array.from({ length: S * S }, (_, i) => ((i % S) + Math.floor(i / S)) / (2 * S));

test('identity affine leaves the image unchanged', () => {
  assert.deepEqual(Array.from(affineImage(ramp, S, { tx: 0, ty: 0, scale: 1 })), Array.from(ramp));
});

test('an integer translation shifts pixels and fills the uncovered border with 0', () => {
  const out = affineImage(ramp, S, { tx: 2, ty: -1, scale: 1 });
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const sx = x - 2;
      const sy = y + 1;
      const expected = sx < 0 || sy >= S ? 0 : (ramp[sy * S + sx] as number);
      assert.ok(Math.abs((out[y * S + x] as number) - expected) < 1e-6, `(${x},${y})`);
    }
  }
});

test('scaling is about the centre: a centred square grows', () => {
  const sq = new Float32Array(S * S);
  for (let y = 6; y < 14; y++) for (let x = 6; x < 14; x++) sq[y * S + x] = 1;
  const big = affineImage(sq, S, { tx: 0, ty: 0, scale: 1.25 });
  const mass = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(mass(big) / mass(sq) - 1.25 ** 2) < 0.15, `mass ratio ${mass(big) / mass(sq)}`);
  // symmetric about the centre
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) assert.ok(Math.abs((big[y * S + x] as number) - (big[(S - 1 - y) * S + (S - 1 - x)] as number)) < 1e-6);
});

test('random parameters stay within +-5% translation and 0.95-1.05 scale; augment is seeded', () => {
  const rng = new Rng(11);
  for (let i = 0; i < 500; i++) {
    const p = randomAffineParams(128, rng);
    assert.ok(Math.abs(p.tx) <= 6.4 && Math.abs(p.ty) <= 6.4 && p.scale >= 0.95 && p.scale <= 1.05);
  }
  const batch = { x: new Float32Array([...ramp, ...ramp]), paths: ['a', 'b'], size: S };
  const a = augment(batch, new Rng(1));
  const b = augment(batch, new Rng(1));
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.paths, ['a', 'b']);
  assert.notDeepEqual(a.x.subarray(0, S * S), a.x.subarray(S * S), 'each image gets its own transform');
  assert.notDeepEqual(a.x, batch.x);
});
