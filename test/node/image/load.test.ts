import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadImage, ImageLoadError, decodeImage } from '../../../src/node/image/load.js';
import { encodeGrayPng, saveGrayPng } from '../../../src/node/image/encode.js';
import { InputError } from '../../../src/core/util/errors.js';
import { loadBatch } from '../../../src/node/data/batches.js';
import { withTempDir } from '../../tmpDir.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('img', fn);

test('8-bit gray PNG loads exactly as value/255 at its own size', async () => {
  await withDir(async (dir) => {
    const px = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const p = join(dir, 'g8.png');
    await sharp(px, { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(p);
    const img = await loadImage(p, { size: 4 });
    assert.equal(img.length, 16);
    for (let i = 0; i < 16; i++) assert.ok(Math.abs((img[i] as number) - (px[i] as number) / 255) < 1e-6, `pixel ${i}`);
  });
});

test('16-bit PNG keeps 16-bit precision', async () => {
  await withDir(async (dir) => {
    // Values that are not multiples of 257 would be lost by an 8-bit path.
    const px = Uint16Array.from({ length: 16 }, (_, i) => 1000 + i * 3001);
    const p = join(dir, 'g16.png');
    await sharp(px, { raw: { width: 4, height: 4, channels: 1 } }).toColourspace('grey16').png().toFile(p);
    assert.equal((await sharp(p).metadata()).depth, 'ushort');
    const img = await loadImage(p, { size: 4 });
    for (let i = 0; i < 16; i++) assert.ok(Math.abs((img[i] as number) * 65535 - (px[i] as number)) < 0.5, `pixel ${i}: ${(img[i] as number) * 65535}`);
  });
});

test('RGB JPEG and RGBA PNG become luminance 0.299R + 0.587G + 0.114B, alpha dropped', async () => {
  await withDir(async (dir) => {
    const jpg = join(dir, 'c.jpg');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 40, b: 90 } } }).jpeg({ quality: 100 }).toFile(jpg);
    const expected = (0.299 * 200 + 0.587 * 40 + 0.114 * 90) / 255;
    const a = await loadImage(jpg, { size: 8 });
    for (const v of a) assert.ok(Math.abs(v - expected) < 0.02, `jpeg luminance ${v} vs ${expected}`);
    const png = join(dir, 'c.png');
    await sharp({ create: { width: 6, height: 6, channels: 4, background: { r: 0, g: 255, b: 0, alpha: 0.5 } } }).png().toFile(png);
    const b = await loadImage(png, { size: 6 });
    for (const v of b) assert.ok(Math.abs(v - 0.587) < 1e-3, `rgba luminance ${v}`);
  });
});

test('TIFF and WebP load; squash stretches, pad keeps the aspect ratio with black bars', async () => {
  await withDir(async (dir) => {
    const white = sharp(new Uint8Array(16 * 8).fill(255), { raw: { width: 16, height: 8, channels: 1 } });
    const tif = join(dir, 'w.tiff');
    const webp = join(dir, 'w.webp');
    await white.clone().tiff().toFile(tif);
    await white.clone().webp({ lossless: true }).toFile(webp);
    for (const p of [tif, webp]) {
      const sq = await loadImage(p, { size: 8 });
      assert.ok(sq.every((v) => Math.abs(v - 1) < 1e-3), `${p} squash is all white`);
      const pad = await loadImage(p, { size: 8, fit: 'pad' });
      // 16x8 fits as 8x4 centred: rows 0-1 and 6-7 are padding.
      for (const row of [0, 1, 6, 7]) for (let x = 0; x < 8; x++) assert.ok((pad[row * 8 + x] as number) < 1e-3, `${p} pad row ${row}`);
      for (const row of [2, 3, 4, 5]) for (let x = 0; x < 8; x++) assert.ok((pad[row * 8 + x] as number) > 0.99, `${p} image row ${row}`);
    }
  });
});

test('truncated, text-as-png, empty and missing files raise ImageLoadError naming the file and cause', async () => {
  await withDir(async (dir) => {
    const noise = Uint8Array.from({ length: 128 * 128 }, (_, i) => (i * 7919) % 251);
    const png = await sharp(noise, { raw: { width: 128, height: 128, channels: 1 } }).png({ compressionLevel: 0 }).toBuffer();
    const jpg = await sharp(noise, { raw: { width: 128, height: 128, channels: 1 } }).jpeg().toBuffer();
    const cases: [string, Uint8Array | null, RegExp][] = [
      ['trunc.png', png.subarray(0, Math.floor(png.length * 0.6)), /truncated|corrupt/],
      ['trunc.jpg', jpg.subarray(0, Math.floor(jpg.length * 0.6)), /truncated|corrupt/],
      ['text.png', new TextEncoder().encode('this is not an image\n'), /not a supported image format/],
      ['empty.png', new Uint8Array(0), /empty file/],
      ['missing.png', null, /file not found/],
    ];
    for (const [name, bytes, cause] of cases) {
      const p = join(dir, name);
      if (bytes) await writeFile(p, bytes);
      await assert.rejects(loadImage(p, { size: 32 }), (err: unknown) => {
        assert.ok(err instanceof ImageLoadError, `${name}: ${String(err)}`);
        assert.ok(err instanceof InputError);
        assert.equal(err.path, p);
        assert.ok(err.message.includes(p), err.message);
        assert.match(err.reason, cause, `${name}: ${err.reason}`);
        return true;
      });
    }
    // A dataset loader told to skip bad files reports how many it skipped.
    const good = join(dir, 'good.png');
    await saveGrayPng(good, new Float32Array(64).fill(0.5), 8, 8);
    const paths = [good, join(dir, 'trunc.png'), join(dir, 'text.png'), good];
    const batch = await loadBatch(paths, { size: 8, skipUnreadable: true });
    assert.equal(batch.paths.length, 2);
    assert.equal(batch.x.length, 2 * 64);
    assert.deepEqual(batch.skipped.map((s) => s.path), [join(dir, 'trunc.png'), join(dir, 'text.png')]);
    await assert.rejects(loadBatch(paths, { size: 8 }), ImageLoadError);
  });
});

test('encodeGrayPng round-trips through decodeImage within 8-bit rounding', async () => {
  const w = 5;
  const data = Float32Array.from({ length: w * w }, (_, i) => i / (w * w - 1));
  const png = await encodeGrayPng(data, w, w);
  assert.deepEqual(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]); // "PNG"
  const back = await decodeImage(png, 'mem', { size: w });
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs((back[i] as number) - (data[i] as number)) <= 0.5 / 255 + 1e-6);
});
