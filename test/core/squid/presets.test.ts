import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { getPreset, presetScore, scoreKindsOf, PRESET_NAMES, SCORE_KINDS, ABLATIONS, FULL_MODEL, PresetError } from '../../../src/core/squid/presets.js';
import { applyOverrides, validatePreset } from '../../../src/core/squid/presetSchema.js';
import { countParameters, featureShapes } from '../../../src/core/model/summary.js';
import { loadPreset } from '../../../src/node/cli/loadPreset.js';
import { InputError } from '../../../src/core/util/errors.js';
import { REPO } from '../../repo.js';

const repoRoot = REPO;

test('parameter counts equal the reference model (zhanglab, chexpert, digitanatomy)', () => {
  const z = countParameters(getPreset('zhanglab'));
  assert.equal(z.generator, 44_469_506);
  assert.equal(z.teacher, 3_875_073);
  assert.equal(z.discriminator, 681_921);
  assert.deepEqual(countParameters(getPreset('chexpert')), z);
  const d = countParameters(getPreset('digitanatomy'));
  assert.equal(d.generator, 52_878_978);
  assert.equal(d.teacher, 960_513);
  assert.equal(d.discriminator, 681_025);
});

test('ablation switches change exactly the components they name', () => {
  const base = getPreset('zhanglab');
  const full = countParameters(base);
  const with_ = (sw: object) => countParameters(applyOverrides(base, { model: { ablation: sw } }));
  // in-painting off: the block's 19,027,712 weights go
  assert.equal(full.generator - with_({ inpainting: false }).generator, 19_027_712);
  // decoder memory off: 4 x 200 x 4096 + 4 x 200 x 8192
  assert.equal(full.generator - with_({ decoderMemory: false }).generator, 9_830_400);
  // distillation off: no teacher
  const nd = with_({ distillation: false });
  assert.equal(nd.teacher, 0);
  assert.equal(full.generator - nd.generator, 3_875_073);
  // memory matrix: the 4 x 200 x 2048 queue becomes trainable
  assert.equal(with_({ memoryKind: 'matrix' }).generator - full.generator, 4 * 200 * 2048);
  // one shared memory: 1 matrix per decoder level instead of 4
  assert.equal(full.generator - with_({ spaceAwareMemory: false }).generator, 3 * 200 * (4096 + 8192));
  // the others change no weights
  for (const sw of [{ gumbelShrinkage: false }, { stopGradient: false }, { maskedShortcut: false }]) {
    assert.deepEqual(with_(sw), full);
  }
  assert.equal(ABLATIONS.length, 8);
  for (const row of ABLATIONS) {
    const key = Object.keys(row.switches)[0] as keyof typeof FULL_MODEL;
    assert.notEqual(row.switches[key], FULL_MODEL[key], row.id);
  }
});

test('every preset validates; feature shapes follow the spec', () => {
  for (const name of PRESET_NAMES) validatePreset(getPreset(name));
  const shapes = featureShapes(getPreset('zhanglab'));
  const byStage = new Map(shapes.map((s) => [s.stage, s.shape]));
  assert.deepEqual(byStage.get('encoder level 4 (bottleneck)'), [4, 4, 512]);
  assert.deepEqual(byStage.get('in-painting query'), [1, 1, 2048]);
  assert.deepEqual(byStage.get('in-painting + position code'), [4, 4, 131]);
  assert.deepEqual(byStage.get('encoder level 1 (skip 1)'), [64, 64, 64]);
  assert.deepEqual(byStage.get('discriminator last conv'), [4, 4, 128]);
  const digit = new Map(featureShapes(getPreset('digitanatomy')).map((s) => [s.stage, s.shape]));
  assert.deepEqual(digit.get('in-painting + position code'), [4, 4, 68]);
  assert.deepEqual(digit.get('discriminator last conv'), [3, 3, 128]);
});

test('getPreset returns independent copies; unknown names are an error', () => {
  const a = getPreset('tiny');
  a.model.channels[0] = 999;
  assert.notEqual(getPreset('tiny').model.channels[0], 999);
  assert.throws(() => getPreset('nope'), (e: unknown) => e instanceof PresetError && /unknown preset "nope"/.test(e.message));
});

test('overrides: unknown keys, wrong types, out-of-range and inconsistent values are clear errors', () => {
  const base = getPreset('tiny');
  const bad: [unknown, RegExp][] = [
    [{ model: { memorySlot: 3 } }, /model\.memorySlot: unknown key/],
    [{ train: { epochs: 0 } }, /train\.epochs: must be in \[1, /],
    [{ train: { generatorLr: 'fast' } }, /train\.generatorLr: must be a finite number/],
    [{ model: { ablation: { memoryKind: 'disk' } } }, /model\.ablation\.memoryKind: must be one of queue, matrix/],
    [{ model: { imageSize: 50 } }, /model\.imageSize: must be divisible by model\.patchesPerSide/],
    [{ model: { shrinkageTopK: 50 } }, /model\.shrinkageTopK: must be below memorySlots/],
    [{ model: { channels: [8, 16, 1.5] } }, /model\.channels\[2\]: must be an integer/],
    [[1, 2], /must be a JSON object/],
  ];
  for (const [over, re] of bad) {
    assert.throws(() => applyOverrides(base, over, 'x.json'), (e: unknown) => e instanceof PresetError && re.test(e.message) && e.message.startsWith('x.json: '), JSON.stringify(over));
  }
  const ok = applyOverrides(base, { model: { memorySlots: 20, ablation: { gumbelShrinkage: false } }, train: { epochs: 3 } });
  assert.equal(ok.model.memorySlots, 20);
  assert.equal(ok.model.ablation.gumbelShrinkage, false);
  assert.equal(ok.model.ablation.inpainting, true);
  assert.equal(ok.train.epochs, 3);
  assert.equal(base.model.memorySlots, 50);
});

test('loadPreset reads a JSON override file and names it in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'squid-preset-'));
  try {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ train: { batchSize: 4 } }));
    assert.equal(loadPreset('tiny', good).train.batchSize, 4);
    const badKey = join(dir, 'bad.json');
    writeFileSync(badKey, JSON.stringify({ train: { batchsize: 4 } }));
    assert.throws(() => loadPreset('tiny', badKey), (e: unknown) => e instanceof InputError && e.message.includes(badKey) && /train\.batchsize: unknown key/.test(e.message));
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ nope');
    assert.throws(() => loadPreset('tiny', notJson), (e: unknown) => e instanceof InputError && /not valid JSON/.test(e.message));
    assert.throws(() => loadPreset('tiny', join(dir, 'missing.json')), (e: unknown) => e instanceof InputError && /cannot read/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('squid config prints the whole resolved preset; edited, it goes back in through --config', () => {
  const squid = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'squid.js'), ...args], { encoding: 'utf8' });
  const r = squid(['config', '--preset', 'zhanglab-fast']);
  assert.equal(r.status, 0, r.stderr);
  const printed = JSON.parse(r.stdout) as Record<string, unknown>;
  const { name: _name, ...want } = getPreset('zhanglab-fast');
  assert.deepEqual(printed, JSON.parse(JSON.stringify(want)), 'every key of the resolved preset');
  const dir = mkdtempSync(join(tmpdir(), 'squid-config-'));
  try {
    const edited = { ...printed, score: 'position', train: { ...(printed.train as object), epochs: 3 } };
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify(edited));
    const back = loadPreset('zhanglab-fast', file);
    assert.equal(back.score, 'position');
    assert.equal(back.train.epochs, 3);
    assert.deepEqual(back.model, want.model);
    const again = squid(['config', '--preset', 'zhanglab-fast', '--config', file]);
    assert.equal((JSON.parse(again.stdout) as { score: string }).score, 'position', 'config applies --config first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('squid info --json prints the reference counts', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'squid.js'), 'info', '--preset', 'digitanatomy', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { parameters: { generator: number; teacher: number; discriminator: number } };
  assert.deepEqual([out.parameters.generator, out.parameters.teacher, out.parameters.discriminator], [52_878_978, 960_513, 681_025]);
  const text = spawnSync(process.execPath, [join(repoRoot, 'bin', 'squid.js'), 'info', '--preset', 'zhanglab'], { encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /generator \(incl\. teacher\): 44,469,506/);
  const bad = spawnSync(process.execPath, [join(repoRoot, 'bin', 'squid.js'), 'info', '--preset', 'huge'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown preset "huge"/);
});

test('the fast presets keep their base models (the paper\'s, the tiny one) plus the position task; each preset names a default score kind it has; score overrides are checked', () => {
  for (const [fast, base, score] of [['zhanglab-fast', 'zhanglab', 'input+position'], ['digitanatomy-fast', 'tiny', 'position']] as const) {
    const { positionLoss, ...model } = getPreset(fast).model;
    assert.deepEqual(model, getPreset(base).model, fast);
    assert.ok(positionLoss !== undefined && positionLoss > 0, fast);
    assert.equal(presetScore(getPreset(fast)), score, `${fast}: the kind docs/detection.md measured best`);
  }
  assert.equal(getPreset('zhanglab').model.positionLoss, undefined, 'the paper\'s preset stays the paper\'s');
  for (const name of PRESET_NAMES) assert.ok(scoreKindsOf(getPreset(name).model).includes(presetScore(getPreset(name))), name);
  for (const name of PRESET_NAMES) assert.ok(SCORE_KINDS.includes(presetScore(getPreset(name))), name);
  const base = getPreset('tiny');
  assert.equal(applyOverrides(base, { score: 'residual' }).score, 'residual');
  assert.throws(() => applyOverrides(base, { score: 'psychic' }, 'x.json'), (e: unknown) => e instanceof PresetError && /score: must be one of discriminator, residual, input, distillation, memory, position/.test(e.message));
  // a stored preset from before the field existed still validates and scores with the paper's kind
  const old = getPreset('zhanglab');
  delete old.score;
  validatePreset(old);
  assert.equal(presetScore(old), 'discriminator');
});
