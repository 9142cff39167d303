import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { anomalyScores, meanStd } from '../../../src/core/score/scorer.js';
import { colorMap, heatmapPanels, PANEL_GAP } from '../../../src/node/score/heatmapImage.js';
import { readLabelledItems } from '../../../src/node/score/labelledSet.js';
import { inSampleWarnings, thresholdWarnings } from '../../../src/node/score/evaluateRun.js';
import { heatmapNames } from '../../../src/node/cli/verbs/score.js';
import { saveGrayPng } from '../../../src/node/image/encode.js';

test('anomalyScores: 1 - sigmoid(z), 0.5 at the training mean, falling as the raw normality rises', () => {
  const s = anomalyScores([-1, 0, 1, 2, 3], 1, 2);
  assert.ok(Math.abs((s[2] as number) - 0.5) < 1e-12);
  assert.ok(Math.abs((s[0] as number) - (1 - 1 / (1 + Math.exp(1)))) < 1e-12);
  for (let i = 1; i < s.length; i++) assert.ok((s[i] as number) < (s[i - 1] as number));
  const { mean, std } = meanStd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(std - Math.sqrt(1.25)) < 1e-12);
});

test('heatmapPanels: input | reconstruction | overlay, colour map from blue to red', () => {
  const size = 2;
  const input = [0, 1, 0.5, 0.25];
  const recon = [1, 0, 0, 1];
  const heat = [0, 1, 0.5, 0];
  const { rgb, width, height } = heatmapPanels(input, recon, heat, size);
  assert.equal(width, 3 * size + 2 * PANEL_GAP);
  assert.equal(height, size);
  const px = (x: number, y: number) => Array.from(rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  assert.deepEqual(px(1, 0), [255, 255, 255]); // input pixel 1
  assert.deepEqual(px(size + PANEL_GAP, 0), [255, 255, 255]); // reconstruction pixel 1
  assert.deepEqual(px(size, 0), [255, 255, 255]); // the gap is white
  const hot = px(2 * (size + PANEL_GAP) + 1, 0); // heat 1 over input 1: red dominates
  assert.ok((hot[0] as number) > (hot[2] as number));
  assert.deepEqual(colorMap(0).map(Math.round), [0, 0, 1].map(Math.round));
  assert.ok(colorMap(1)[0] > 0.4 && colorMap(1)[2] === 0);
});

test('heatmapNames: one PNG per image, clashing names made distinct', () => {
  assert.deepEqual(heatmapNames(['a/x.png', 'b/x.jpg', 'c/y.png', 'd/x.tif']), ['x.png', 'x_2.png', 'y.png', 'x_3.png']);
  // a file whose own name is a made-up one (S3 of issue 13)
  assert.deepEqual(heatmapNames(['a/x.png', 'b/x.png', 'x_2.png']), ['x.png', 'x_2.png', 'x_2_2.png']);
});

test('labelled sets: labels.csv with types, file-name prefixes, and bad rows named', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'squid-lab-'));
  try {
    const img = new Float32Array(9);
    for (const rel of ['normal/0.png', 'abnormal/missing_000.png', 'abnormal/zero_000.png', 'abnormal/zero_001.png']) {
      await saveGrayPng(path.join(dir, 'set', rel), img, 3, 3);
    }
    // Folder layout: types from the file-name prefixes.
    const items = await readLabelledItems(path.join(dir, 'set'));
    assert.deepEqual(items.map((i) => [path.basename(i.path), i.label, i.type]), [
      ['missing_000.png', 1, 'missing'],
      ['zero_000.png', 1, 'zero'],
      ['zero_001.png', 1, 'zero'],
      ['0.png', 0, 'normal'],
    ]);
    // Without prefixes: the class folder's name.
    await saveGrayPng(path.join(dir, 'classes', 'NORMAL', 'a.png'), img, 3, 3);
    await saveGrayPng(path.join(dir, 'classes', 'PNEUMONIA', 'b.png'), img, 3, 3);
    const byClass = await readLabelledItems(path.join(dir, 'classes'));
    assert.deepEqual(byClass.map((i) => [path.basename(i.path), i.type]).sort(), [['a.png', 'normal'], ['b.png', 'PNEUMONIA']]);
    // labels.csv wins, paths relative to its folder.
    writeFileSync(path.join(dir, 'set', 'labels.csv'), 'path,label,type\nnormal/0.png,0,normal\nabnormal/zero_000.png,1,flipped\n');
    const csv = await readLabelledItems(path.join(dir, 'set'));
    assert.deepEqual(csv.map((i) => [i.path, i.label, i.type]), [
      [path.join(dir, 'set', 'normal/0.png'), 0, 'normal'],
      [path.join(dir, 'set', 'abnormal/zero_000.png'), 1, 'flipped'],
    ]);
    writeFileSync(path.join(dir, 'set', 'labels.csv'), 'path,label\nnormal/0.png,2\n');
    await assert.rejects(readLabelledItems(path.join(dir, 'set')), /labels\.csv: row 2: needs a path and a label of 0 or 1/);
    // one image listed as normal and as abnormal would score itself against itself
    writeFileSync(path.join(dir, 'set', 'labels.csv'), 'path,label\nnormal/0.png,0\nabnormal/zero_000.png,1\n./normal/0.png,1\n');
    await assert.rejects(readLabelledItems(path.join(dir, 'set')), /labels\.csv: rows 2 and 4 both list "\.\/normal\/0\.png"/);
    for (const p of ['../elsewhere/0.png', '/abs/0.png']) {
      writeFileSync(path.join(dir, 'set', 'labels.csv'), `path,label\nnormal/0.png,0\n${p},1\n`);
      await assert.rejects(readLabelledItems(path.join(dir, 'set')), /row 3: path .* must be relative to the folder of labels\.csv and stay inside it/);
    }
    mkdirSync(path.join(dir, 'only'));
    writeFileSync(path.join(dir, 'only', 'labels.csv'), 'path,label\na.png,0\n');
    await assert.rejects(readLabelledItems(path.join(dir, 'only')), /needs normal and abnormal images; found 1 normal and 0 abnormal/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("eval warnings: the run's own validation folder is in-sample (links resolved); a threshold calling nearly everything one way is degenerate", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'squid-warn-'));
  try {
    mkdirSync(path.join(dir, 'val'));
    mkdirSync(path.join(dir, 'test'));
    symlinkSync(path.join(dir, 'val'), path.join(dir, 'val-link'));
    assert.match(inSampleWarnings(path.join(dir, 'val'), path.join(dir, 'val-link'))[0] ?? '', /in-sample/);
    assert.deepEqual(inSampleWarnings(path.join(dir, 'val'), path.join(dir, 'test')), []);
    assert.deepEqual(inSampleWarnings(null, path.join(dir, 'val')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(thresholdWarnings({ specificity: 0.02, sensitivity: 1 })[0] ?? '', /98% of the normal images abnormal/);
  assert.match(thresholdWarnings({ specificity: 1, sensitivity: 0 })[0] ?? '', /100% of the abnormal images normal/);
  assert.deepEqual(thresholdWarnings({ specificity: 0.8, sensitivity: 0.9 }), []);
});
