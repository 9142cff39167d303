import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../src/core/util/rng.js';
import { createDigitAnatomy } from '../../../src/node/digitanatomy/create.js';
import { DigitAnatomy, ANOMALY_TYPES } from '../../../src/node/digitanatomy/generator.js';
import { loadMnistDigits } from '../../../src/node/digitanatomy/mnistNode.js';
import { splitRange } from '../../../src/node/digitanatomy/digits.js';
import { writeDigitAnatomy, typeCounts } from '../../../src/node/digitanatomy/benchmark.js';
import { flipImage, resizeBilinear } from '../../../src/node/image/resize.js';
import { loadImage } from '../../../src/node/image/load.js';

const SIZE = 48;
const T = SIZE / 3;
const blank = (t: Float32Array): boolean => t.every((v) => v === 0);
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

test('normal images: digits 1..9 in reading order, no blank tile, seeded', async () => {
  const gen = await createDigitAnatomy({ size: SIZE });
  assert.equal(gen.tile, T);
  for (let k = 0; k < 5; k++) {
    const n = gen.normalWithTiles(new Rng(k));
    assert.deepEqual(n.tiles.map((t) => t.digit), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let p = 0; p < 9; p++) assert.ok(!blank(gen.tileOf(n.image, p)), `tile ${p} of a normal image is blank`);
    assert.ok(n.image.every((v) => v >= 0 && v <= 1));
    for (const t of n.tiles) assert.ok(t.crop.side >= Math.floor(28 * Math.sqrt(0.6)) && t.crop.side <= 28 && t.crop.x + t.crop.side <= 28 && t.crop.y + t.crop.side <= 28);
  }
  assert.deepEqual(gen.normal(new Rng(3)), gen.normal(new Rng(3)));
  assert.notDeepEqual(gen.normal(new Rng(3)), gen.normal(new Rng(4)));
  const batch = gen.normalBatch(3, new Rng(1));
  assert.equal(batch.length, 3 * SIZE * SIZE);
  const digits = await loadMnistDigits();
  assert.throws(() => new DigitAnatomy({ size: 50, digits }), /multiple of 3/);
});

test('missing: exactly one blank tile, the rest as in the normal image', async () => {
  const gen = await createDigitAnatomy({ size: SIZE });
  for (let k = 0; k < 10; k++) {
    const a = gen.abnormal('missing', new Rng(100 + k));
    const normal = gen.render(a.normalTiles);
    const blanks = [...Array(9).keys()].filter((p) => blank(gen.tileOf(a.image, p)));
    assert.deepEqual(blanks, a.positions);
    assert.equal(blanks.length, 1);
    for (let p = 0; p < 9; p++) if (p !== blanks[0]) assert.ok(same(gen.tileOf(a.image, p), gen.tileOf(normal, p)));
  }
});

test('flipped: one tile equals the mirrored normal tile, the rest unchanged', async () => {
  const gen = await createDigitAnatomy({ size: SIZE });
  const axes = new Set<string>();
  for (let k = 0; k < 10; k++) {
    const a = gen.abnormal('flipped', new Rng(200 + k));
    const normal = gen.render(a.normalTiles);
    assert.equal(a.positions.length, 1);
    const p = a.positions[0] as number;
    const axis = a.tiles[p]?.flip;
    assert.ok(axis === 'horizontal' || axis === 'vertical');
    axes.add(axis);
    const mirrored = flipImage(gen.tileOf(normal, p), T, T, axis);
    assert.ok(same(gen.tileOf(a.image, p), mirrored), 'flipped tile = mirrored digit');
    assert.ok(!same(gen.tileOf(a.image, p), gen.tileOf(normal, p)), 'the flip changed the tile');
    for (let q = 0; q < 9; q++) if (q !== p) assert.ok(same(gen.tileOf(a.image, q), gen.tileOf(normal, q)));
  }
  assert.deepEqual([...axes].sort(), ['horizontal', 'vertical']);
});

test('misordered: two tiles swapped, the rest unchanged', async () => {
  const gen = await createDigitAnatomy({ size: SIZE });
  for (let k = 0; k < 10; k++) {
    const a = gen.abnormal('misordered', new Rng(300 + k));
    const normal = gen.render(a.normalTiles);
    const changed = [...Array(9).keys()].filter((p) => !same(gen.tileOf(a.image, p), gen.tileOf(normal, p)));
    assert.deepEqual(changed, a.positions);
    assert.equal(changed.length, 2);
    const [i, j] = changed as [number, number];
    assert.ok(same(gen.tileOf(a.image, i), gen.tileOf(normal, j)));
    assert.ok(same(gen.tileOf(a.image, j), gen.tileOf(normal, i)));
    assert.equal(a.tiles[i]?.digit, j + 1);
  }
});

test('zero: one tile holds a 0 digit from MNIST (checked against the package data)', async () => {
  const gen = await createDigitAnatomy({ size: SIZE });
  const require = createRequire(import.meta.url);
  const zeros = (JSON.parse(await readFile(require.resolve('mnist/src/digits/0.json'), 'utf8')) as { data: number[] }).data;
  for (let k = 0; k < 10; k++) {
    const a = gen.abnormal('zero', new Rng(400 + k));
    const normal = gen.render(a.normalTiles);
    const changed = [...Array(9).keys()].filter((p) => !same(gen.tileOf(a.image, p), gen.tileOf(normal, p)));
    assert.deepEqual(changed, a.positions);
    assert.equal(changed.length, 1);
    const t = a.tiles[changed[0] as number];
    assert.equal(t?.digit, 0);
    // Re-crop and resize sample t.index of the package's 0 digits independently.
    const { x, y, side } = t.crop;
    const crop: number[] = [];
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) crop.push(zeros[t.index * 784 + (y + r) * 28 + x + c] as number);
    const expected = resizeBilinear(crop, side, side, T, T).map((v) => Math.min(1, Math.max(0, v)));
    const got = gen.tileOf(a.image, changed[0] as number);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs((got[i] as number) - (expected[i] as number)) < 1e-6);
  }
});

test('train, val and test splits draw disjoint MNIST samples', async () => {
  const digits = await loadMnistDigits();
  const train = new DigitAnatomy({ size: SIZE, digits, split: 'train' });
  const valGen = new DigitAnatomy({ size: SIZE, digits, split: 'val' });
  const testGen = new DigitAnatomy({ size: SIZE, digits, split: 'test' });
  for (let d = 0; d <= 9; d++) {
    const [a, b] = splitRange(digits, d, 'train');
    const [v0, v1] = splitRange(digits, d, 'val');
    const [c, e] = splitRange(digits, d, 'test');
    assert.ok(a === 0 && b === v0 && v1 > v0 && v1 === c && e > c);
  }
  const rng = new Rng(1);
  for (let k = 0; k < 20; k++) {
    for (const t of train.sampleNormalTiles(rng)) assert.ok(t.index < splitRange(digits, t.digit, 'train')[1]);
    for (const t of valGen.sampleNormalTiles(rng)) {
      const [v0, v1] = splitRange(digits, t.digit, 'val');
      assert.ok(t.index >= v0 && t.index < v1);
    }
    for (const t of testGen.sampleNormalTiles(rng)) assert.ok(t.index >= splitRange(digits, t.digit, 'test')[0]);
  }
});

test('writeDigitAnatomy writes the stated layout, labels.csv and a sample sheet', async () => {
  const out = await mkdtemp(join(tmpdir(), 'squid-da-'));
  try {
    assert.deepEqual(typeCounts(6), { missing: 2, misordered: 2, flipped: 1, zero: 1 });
    const s = await writeDigitAnatomy({ out, train: 5, normal: 3, abnormal: 6, size: SIZE, seed: 2 });
    assert.equal((await readdir(join(out, 'train'))).length, 5);
    assert.deepEqual(await readdir(join(out, 'test', 'normal')), ['00000.png', '00001.png', '00002.png']);
    const ab = (await readdir(join(out, 'test', 'abnormal'))).sort();
    assert.deepEqual(ab, ['flipped_000.png', 'misordered_000.png', 'misordered_001.png', 'missing_000.png', 'missing_001.png', 'zero_000.png']);
    const csv = (await readFile(s.labelsCsv, 'utf8')).trim().split('\n');
    assert.equal(csv[0], 'path,label,type');
    assert.equal(csv.length, 1 + 3 + 6);
    assert.ok(csv.includes('test/normal/00000.png,0,normal'));
    assert.ok(csv.includes('test/abnormal/zero_000.png,1,zero'));
    for (const t of ANOMALY_TYPES) assert.ok(csv.some((l) => l.endsWith(`,1,${t}`)));
    const img = await loadImage(join(out, 'test', 'abnormal', 'missing_000.png'), { size: SIZE });
    const gen = new DigitAnatomy({ size: SIZE, digits: await loadMnistDigits() });
    assert.equal([...Array(9).keys()].filter((p) => blank(gen.tileOf(img, p))).length, 1, 'written missing image has one blank tile');
    const sheet = await loadImage(s.sampleSheet, { size: 8 });
    assert.equal(sheet.length, 64);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
