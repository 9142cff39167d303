import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeBilinear, flipImage } from '../../../src/node/image/resize.js';

test('resizeBilinear: same size is the identity; 2x2 -> 4x4 uses half-pixel centres', () => {
  const src = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(resizeBilinear(src, 3, 3, 3, 3)), Array.from(src));
  const up = resizeBilinear([0, 1, 2, 3], 2, 2, 4, 4);
  // First row: x maps to -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
  assert.deepEqual(Array.from(up.subarray(0, 4)), [0, 0.25, 0.75, 1]);
  // Downsampling 4x4 -> 2x2 samples the centres between pixel pairs.
  const down = resizeBilinear(Float32Array.from({ length: 16 }, (_, i) => i), 4, 4, 2, 2);
  assert.deepEqual(Array.from(down), [2.5, 4.5, 10.5, 12.5]);
});

test('flipImage mirrors horizontally and vertically', () => {
  const src = [1, 2, 3, 4, 5, 6]; // 3 wide, 2 high
  assert.deepEqual(Array.from(flipImage(src, 3, 2, 'horizontal')), [3, 2, 1, 6, 5, 4]);
  assert.deepEqual(Array.from(flipImage(src, 3, 2, 'vertical')), [4, 5, 6, 1, 2, 3]);
});
