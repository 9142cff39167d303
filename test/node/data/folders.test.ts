import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveGrayPng } from '../../../src/node/image/encode.js';
import { classLabelOf, readLabelledFolder, readNormalFolder } from '../../../src/node/data/folders.js';
import { parseChexpertCsv, readChexpertCsv } from '../../../src/node/data/chexpert.js';
import { InputError } from '../../../src/core/util/errors.js';
import { withTempDir } from '../../tmpDir.js';

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('data', fn);

async function img(path: string): Promise<void> {
  await saveGrayPng(path, new Float32Array(16).fill(0.3), 4, 4);
}

function rejectsNaming(folder: string, pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.path, folder);
    assert.match(err.message, pattern);
    return true;
  };
}

test('class names: normal/healthy/good/no_finding in any case are 0, others 1', () => {
  for (const n of ['NORMAL', 'normal', 'Healthy', 'good', 'No_Finding', 'no finding', 'NO-FINDING']) assert.equal(classLabelOf(n), 0, n);
  for (const n of ['PNEUMONIA', 'abnormal', 'bad', 'tumour', 'not_normal']) assert.equal(classLabelOf(n), 1, n);
});

test('labelled folder: labels per sub-folder, non-images ignored, sorted', async () => {
  await withDir(async (dir) => {
    await img(join(dir, 'NORMAL', 'b.png'));
    await img(join(dir, 'NORMAL', 'a.png'));
    await img(join(dir, 'PNEUMONIA', 'x.png'));
    await img(join(dir, 'Covid', 'y.png'));
    await writeFile(join(dir, 'NORMAL', 'notes.txt'), 'not an image');
    const items = await readLabelledFolder(dir);
    assert.deepEqual(
      items.map((i) => [i.className, i.path.slice(dir.length + 1), i.label]),
      [
        ['Covid', join('Covid', 'y.png'), 1],
        ['NORMAL', join('NORMAL', 'a.png'), 0],
        ['NORMAL', join('NORMAL', 'b.png'), 0],
        ['PNEUMONIA', join('PNEUMONIA', 'x.png'), 1],
      ],
    );
  });
});

test('labelled folder: wrong layouts are InputErrors naming the folder', async () => {
  await withDir(async (dir) => {
    const flat = join(dir, 'flat');
    await img(join(flat, 'a.png'));
    await assert.rejects(readLabelledFolder(flat), rejectsNaming(flat, /sub-folder per class/));
    const single = join(dir, 'single');
    await img(join(single, 'NORMAL', 'a.png'));
    await assert.rejects(readLabelledFolder(single), rejectsNaming(single, /normal class .* and at least one other/));
    assert.equal((await readLabelledFolder(single, { requireBothClasses: false })).length, 1);
    const onlyAbnormal = join(dir, 'onlyab');
    await img(join(onlyAbnormal, 'PNEUMONIA', 'a.png'));
    await assert.rejects(readLabelledFolder(onlyAbnormal), rejectsNaming(onlyAbnormal, /found only abnormal/));
    const emptyClass = join(dir, 'emptyclass');
    await img(join(emptyClass, 'NORMAL', 'a.png'));
    await mkdir(join(emptyClass, 'PNEUMONIA'), { recursive: true });
    await assert.rejects(readLabelledFolder(emptyClass), rejectsNaming(join(emptyClass, 'PNEUMONIA'), /no images/));
    const missing = join(dir, 'nope');
    await assert.rejects(readLabelledFolder(missing), rejectsNaming(missing, /folder not found/));
  });
});

test('normal folder: direct images, or the normal sub-folder of a labelled folder', async () => {
  await withDir(async (dir) => {
    const flat = join(dir, 'flat');
    await img(join(flat, '2.png'));
    await img(join(flat, '1.jpg.png'));
    assert.deepEqual(await readNormalFolder(flat), [join(flat, '1.jpg.png'), join(flat, '2.png')]);
    const labelled = join(dir, 'labelled');
    await img(join(labelled, 'NORMAL', 'n.png'));
    await img(join(labelled, 'PNEUMONIA', 'p.png'));
    assert.deepEqual(await readNormalFolder(labelled), [join(labelled, 'NORMAL', 'n.png')]);
    const noNormal = join(dir, 'nonormal');
    await img(join(noNormal, 'PNEUMONIA', 'p.png'));
    await assert.rejects(readNormalFolder(noNormal), rejectsNaming(noNormal, /no normal sub-folder/));
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await assert.rejects(readNormalFolder(empty), rejectsNaming(empty, /no images found/));
  });
});

const CHEXPERT_CSV = [
  'Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Enlarged Cardiomediastinum,Cardiomegaly',
  'CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg,Female,68,Frontal,AP,1.0,,',
  'CheXpert-v1.0-small/train/patient00002/study1/view1_frontal.jpg,Female,87,Frontal,PA,1.0,,',
  'CheXpert-v1.0-small/train/patient00002/study1/view2_lateral.jpg,Female,87,Lateral,,1.0,,',
  'CheXpert-v1.0-small/train/patient00003/study1/view1_frontal.jpg,Male,41,Frontal,PA,,,1.0',
  'CheXpert-v1.0-small/train/patient00004/study1/view1_frontal.jpg,Male,20,Frontal,PA,0.0,-1.0,',
  '"CheXpert-v1.0-small/train/patient00005/study1/view1_frontal.jpg",Female,33,Frontal,PA,1.0,,',
].join('\n');

test('CheXpert CSV: frontal PA only; normal = No Finding 1; paths under the root', async () => {
  await withDir(async (dir) => {
    const csv = join(dir, 'CheXpert-v1.0-small', 'train.csv');
    await mkdir(join(dir, 'CheXpert-v1.0-small'));
    await writeFile(csv, CHEXPERT_CSV);
    const items = await readChexpertCsv(csv);
    assert.deepEqual(
      items.map((i) => [i.path, i.label]),
      [
        [join(dir, 'CheXpert-v1.0-small/train/patient00002/study1/view1_frontal.jpg'), 0],
        [join(dir, 'CheXpert-v1.0-small/train/patient00003/study1/view1_frontal.jpg'), 1],
        [join(dir, 'CheXpert-v1.0-small/train/patient00004/study1/view1_frontal.jpg'), 1],
        [join(dir, 'CheXpert-v1.0-small/train/patient00005/study1/view1_frontal.jpg'), 0],
      ],
    );
    const rooted = await readChexpertCsv(csv, { root: '/data/x' });
    assert.equal(rooted[0]?.path, join('/data/x', 'CheXpert-v1.0-small/train/patient00002/study1/view1_frontal.jpg'));
    assert.equal((await readChexpertCsv(csv, { views: ['AP', 'PA'] })).length, 5);
  });
});

test('CheXpert CSV: missing columns and empty selections are InputErrors naming the file', async () => {
  assert.throws(() => parseChexpertCsv('Path,Sex\na.jpg,Male\n', 'x.csv'), rejectsNaming('x.csv', /missing column\(s\) Frontal\/Lateral, AP\/PA, No Finding/));
  const lateralOnly = 'Path,Frontal/Lateral,AP/PA,No Finding\na.jpg,Lateral,,1.0\n';
  assert.throws(() => parseChexpertCsv(lateralOnly, 'y.csv'), rejectsNaming('y.csv', /no frontal PA images/));
  const allNormal = 'Path,Frontal/Lateral,AP/PA,No Finding\na.jpg,Frontal,PA,1.0\n';
  assert.throws(() => parseChexpertCsv(allNormal, 'z.csv', { requireBothClasses: true }), rejectsNaming('z.csv', /all 1 are normal/));
  await assert.rejects(readChexpertCsv('/nonexistent/valid.csv'), rejectsNaming('/nonexistent/valid.csv', /file not found/));
});
