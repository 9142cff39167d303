/**
 * The browser's pixel preparation (src/core/image/pixels.ts) against the Node
 * loader (sharp decoding, then the same preparePixels): the same values at
 * every size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../../src/node/image/load.js';
import { prepareRgba, resizeLinear } from '../../../src/core/image/pixels.js';

/** A smooth pattern with edges; colour: the channels differ. */
function pattern(w: number, h: number, colour: boolean): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const v = Math.round(127.5 + 127.5 * Math.sin(x * 0.31 + y * 0.17) * Math.cos(y * 0.05));
      rgb[i] = v;
      rgb[i + 1] = colour ? (v * 3 + y) % 256 : v;
      rgb[i + 2] = colour ? 255 - v : v;
    }
  }
  return rgb;
}

async function compare(w: number, h: number, size: number, colour: boolean): Promise<{ max: number; mean: number }> {
  const rgb = pattern(w, h, colour);
  const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const ref = await decodeImage(new Uint8Array(png), 'pattern.png', { size });
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([rgb[3 * i] as number, rgb[3 * i + 1] as number, rgb[3 * i + 2] as number, 255], 4 * i);
  const mine = prepareRgba(rgba, w, h, size);
  assert.equal(mine.length, ref.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs((ref[i] as number) - (mine[i] as number)) * 255;
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ref.length };
}

test('at the model size the browser path equals the Node loader (grey and colour)', async () => {
  for (const colour of [false, true]) {
    const d = await compare(48, 48, 48, colour);
    assert.ok(d.max < 1e-3, `${colour ? 'colour' : 'grey'}: max difference ${d.max} levels`);
  }
});

test('one preprocessing for Node and the browser: the same pixels at every size, shrinking, enlarging, grey or colour', async () => {
  const cases: [number, number, number, boolean][] = [
    [20, 20, 48, false], // enlarge
    [300, 200, 48, false], // shrink 6x / 4x (box pre-shrink)
    [300, 200, 48, true],
    [256, 256, 128, false], // shrink 2x
    [224, 224, 128, true], // a 224 px image at the ZhangLab size
    [1000, 900, 128, false], // shrink ~7x
    [40, 300, 48, false], // one axis enlarges, the other shrinks
  ];
  for (const [w, h, size, colour] of cases) {
    const d = await compare(w, h, size, colour);
    assert.ok(d.max < 1e-3, `${w}x${h} -> ${size} ${colour ? 'colour' : 'grey'}: max ${d.max.toFixed(4)} levels`);
  }
});

test("'pad' keeps the aspect ratio: the image centred, black around it", async () => {
  const w = 60;
  const h = 30;
  const png = await sharp(new Uint8Array(w * h * 3).fill(200), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const x = await decodeImage(new Uint8Array(png), 'wide.png', { size: 16, fit: 'pad' });
  const at = (r: number, c: number): number => x[r * 16 + c] as number;
  assert.equal(at(0, 8), 0, 'black above');
  assert.equal(at(15, 8), 0, 'black below');
  assert.ok(Math.abs(at(8, 8) - 200 / 255) < 1e-6 && Math.abs(at(8, 0) - 200 / 255) < 1e-6, 'the image fills the width');
});

test('resizeLinear keeps a constant image constant and preserves the mean when shrinking', () => {
  const c = resizeLinear(new Float32Array(37 * 23).fill(0.25), 37, 23, 16, 16);
  for (const v of c) assert.ok(Math.abs(v - 0.25) < 1e-6);
  const ramp = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 64) / 63);
  const r = resizeLinear(ramp, 64, 64, 16, 16);
  const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(r) - mean(ramp)) < 0.01);
  assert.ok((r[15] as number) > (r[0] as number), 'ramp still rises left to right');
  assert.throws(() => resizeLinear(new Float32Array(5), 2, 2, 1, 1), /5 values for 2x2/);
});
