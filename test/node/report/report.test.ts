import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Rng } from '../../../src/core/util/rng.js';
import { parseScoresCsv, formatScoresCsv } from '../../../src/node/report/csv.js';
import { evaluateScores } from '../../../src/node/report/evaluate.js';
import { writeReport } from '../../../src/node/report/write.js';
import type { ReportMetrics, ScoredRow } from '../../../src/node/report/types.js';
import { learningCurveOf } from '../../../src/node/score/evaluateRun.js';
import type { LogEntry } from '../../../src/node/io/runDir.js';
import { rocAuc } from '../../../src/node/metrics/roc.js';
import { saveGrayPng } from '../../../src/node/image/encode.js';
import { InputError } from '../../../src/core/util/errors.js';
import { REPO } from '../../repo.js';
import { withTempDir } from '../../tmpDir.js';

const run = promisify(execFile);
const SQUID = join(REPO, 'bin', 'squid.js');

const withDir = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('report', fn);

function randomRows(n: number, seed: number, types?: string[]): ScoredRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = (i % 3 === 0 ? 0 : 1) as 0 | 1;
    const type = label === 1 && types ? types[i % types.length] : undefined;
    const shift = type ? types!.indexOf(type) * 2 : label;
    const row: ScoredRow = { path: `img${i}.png`, label, score: Math.round((rng.normal() + shift) * 10) / 10 };
    if (type) row.type = type;
    return row;
  });
}

test('score CSV: parses path,label,score[,type]; errors name the file and line', () => {
  const rows = parseScoresCsv('path,label,score,type\na.png,0,0.1,normal\n"b,c.png",1,2e-3,zero\n', 's.csv');
  assert.deepEqual(rows, [
    { path: 'a.png', label: 0, score: 0.1, type: 'normal' },
    { path: 'b,c.png', label: 1, score: 0.002, type: 'zero' },
  ]);
  assert.deepEqual(parseScoresCsv(formatScoresCsv(rows), 'x'), rows);
  const bad = (text: string, re: RegExp): void =>
    assert.throws(() => parseScoresCsv(text, 's.csv'), (e: unknown) => e instanceof InputError && e.path === 's.csv' && re.test(e.message));
  bad('file,label,score\na,0,1\n', /columns path,label,score/);
  bad('path,label,score\na,0,1\nb,2,1\n', /line 3: label "2"/);
  bad('path,label,score\na,0,\n', /line 2: score "" is not a finite number/);
  bad('path,label,score\n', /no score rows/);
});

test('evaluateScores: AUC, per-type AUC against all normals, extra scores, oracle labelled', () => {
  const types = ['missing', 'zero'];
  const rows = randomRows(90, 1, types);
  const val = randomRows(30, 2);
  const residual = rows.map((r) => ({ ...r, score: -r.score }));
  const m = evaluateScores({ rows, valRows: val, extraScores: { residual }, bootstrap: { n: 200 } });
  assert.equal(m.auc, rocAuc(rows.map((r) => r.label), rows.map((r) => r.score)));
  assert.deepEqual(m.counts, { total: 90, normal: 30, abnormal: 60 });
  assert.deepEqual(m.threshold.policy, 'val-f1');
  assert.equal(m.threshold.oracle, false);
  assert.equal(m.metrics.oracle, false);
  for (const t of types) {
    const sub = rows.filter((r) => r.label === 0 || r.type === t);
    assert.equal(m.per_type_auc?.[t]?.auc, rocAuc(sub.map((r) => r.label), sub.map((r) => r.score)));
    assert.equal(m.per_type_auc?.[t]?.n, 30);
  }
  assert.ok((m.per_type_auc?.zero?.auc ?? 0) > (m.per_type_auc?.missing?.auc ?? 1), 'the shifted type separates better');
  assert.ok(Math.abs((m.extra_scores?.residual?.auc ?? 0) - (1 - m.auc)) < 1e-12);
  assert.equal(m.oracle_best_accuracy?.oracle, true);
  assert.equal(m.oracle_best_accuracy?.metrics.oracle, true);
  assert.ok((m.oracle_best_accuracy?.metrics.accuracy ?? 0) >= m.metrics.accuracy, 'the oracle is at least as accurate');

  const o = evaluateScores({ rows, threshold: 'oracle', bootstrap: { n: 50 } });
  assert.equal(o.threshold.oracle, true);
  assert.equal(o.metrics.oracle, true);
  assert.equal(o.oracle_best_accuracy, undefined);
  assert.equal(evaluateScores({ rows, bootstrap: { n: 10 } }).threshold.policy, 'normal-quantile:0.95');
  assert.throws(() => evaluateScores({ rows: rows.filter((r) => r.label === 1) }), /needs normal and abnormal/);
});

test('writeReport: metrics.json, roc.svg and a self-contained report.html with inlined thumbnails', async () => {
  await withDir(async (dir) => {
    const rows: ScoredRow[] = [];
    for (let i = 0; i < 12; i++) {
      const p = join(dir, 'imgs', `${i}.png`);
      await saveGrayPng(p, new Float32Array(64).fill(i / 12), 8, 8);
      rows.push({ path: p, label: (i % 2) as 0 | 1, score: i + (i % 2) * 3 });
    }
    rows.push({ path: join(dir, 'does-not-exist.png'), label: 1, score: -5 });
    const out = join(dir, 'R');
    const { metrics, files } = await writeReport({ out, rows, threshold: 'oracle', bootstrap: { n: 100 }, thumbnailCount: 3 });
    const json = JSON.parse(await readFile(files.metricsJson, 'utf8')) as ReportMetrics;
    assert.equal(json.auc, metrics.auc);
    assert.equal(json.threshold.oracle, true);
    assert.ok(json.auc_ci.low <= json.auc && json.auc <= json.auc_ci.high);
    const svg = await readFile(files.rocSvg, 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<polyline/);
    const html = await readFile(files.reportHtml, 'utf8');
    assert.doesNotMatch(html, /src="(?!data:)/, 'every image is inlined');
    assert.doesNotMatch(html, /<link|<script/);
    assert.equal((html.match(/src="data:image\/png;base64,/g) ?? []).length, 3 + 2, '3 normals + 2 existing abnormals');
    assert.match(html, /oracle/);
    assert.match(html, /<svg/);

    // A custom thumbnail provider (as squid eval uses for reconstructions).
    const seen: string[] = [];
    const png = new Uint8Array(await readFile(rows[0]!.path));
    await writeReport({
      out: join(dir, 'R2'),
      rows,
      threshold: 'fixed:6',
      bootstrap: { n: 10 },
      thumbnailCount: 1,
      thumbnails: async (path, row) => {
        seen.push(`${path}:${row.label}`);
        return [{ label: 'input', png }, { label: 'reconstruction', png }];
      },
    });
    assert.equal(seen.length, 2);
    const html2 = await readFile(join(dir, 'R2', 'report.html'), 'utf8');
    assert.match(html2, /reconstruction/);
    assert.match(html2, /oracle \(best accuracy on these labels\)/, 'the oracle column is labelled');
  });
});

test('squid report (CLI): metrics.json AUC equals the pairwise AUC; its scores.csv (path,label,type,score,call) reads back to the same figures; oracle runs are labelled', async () => {
  await withDir(async (dir) => {
    const rows = randomRows(200, 5);
    const val = randomRows(60, 6);
    await writeFile(join(dir, 's.csv'), formatScoresCsv(rows));
    await writeFile(join(dir, 'v.csv'), formatScoresCsv(val));
    const out = join(dir, 'R');
    const r = await run(process.execPath, [SQUID, 'report', '--scores', join(dir, 's.csv'), '--val-scores', join(dir, 'v.csv'), '--out', out, '--bootstrap', '100']);
    assert.match(r.stdout, /AUC: 0\.\d{4} \(95% interval/);
    assert.match(r.stdout, /by val-f1 \(validation\)/);
    const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as ReportMetrics;
    let pairs = 0;
    let wins = 0;
    for (const a of rows) if (a.label === 1) for (const b of rows) if (b.label === 0) {
      pairs++;
      wins += a.score > b.score ? 1 : a.score === b.score ? 0.5 : 0;
    }
    assert.ok(Math.abs(m.auc - wins / pairs) < 1e-12);
    // the per-image table round-trips: every row with its call at the threshold, and read back to the same figures
    const back = parseScoresCsv(await readFile(join(out, 'scores.csv'), 'utf8'), 'scores.csv');
    assert.deepEqual(back.map(({ path, label, score }) => ({ path, label, score })), rows.map(({ path, label, score }) => ({ path, label, score: score + 0 }))); // + 0: -0 is written as 0
    const lines = (await readFile(join(out, 'scores.csv'), 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'path,label,type,score,call');
    lines.slice(1).forEach((line, i) => assert.equal(line.split(',')[4], rows[i]!.score >= m.threshold.value ? 'abnormal' : 'normal', `call of row ${i + 1}`));
    const again = join(dir, 'R-again');
    await run(process.execPath, [SQUID, 'report', '--scores', join(out, 'scores.csv'), '--val-scores', join(dir, 'v.csv'), '--out', again, '--bootstrap', '100']);
    const m2 = JSON.parse(await readFile(join(again, 'metrics.json'), 'utf8')) as ReportMetrics;
    assert.equal(m2.auc, m.auc);
    assert.equal(m2.threshold.value, m.threshold.value);
    assert.deepEqual(m2.metrics, m.metrics);
    const hist = await readFile(join(out, 'histogram.svg'), 'utf8');
    assert.match(hist, /normal \(\d+\)[\s\S]*abnormal \(\d+\)[\s\S]*threshold/, 'both groups and the threshold in the histogram');
    assert.match(await readFile(join(out, 'report.html'), 'utf8'), /Score distribution/);
    const o = await run(process.execPath, [SQUID, 'report', '--scores', join(dir, 's.csv'), '--out', join(dir, 'O'), '--threshold', 'oracle', '--bootstrap', '10']);
    assert.match(o.stdout, /threshold \[oracle\]/);
    await assert.rejects(
      run(process.execPath, [SQUID, 'report', '--scores', join(dir, 's.csv'), '--out', join(dir, 'X'), '--threshold', 'best']),
      (e: { code?: number; stderr?: string }) => e.code === 1 && /unknown threshold policy "best"/.test(e.stderr ?? ''),
    );
  });
});

test('learning curves: per-epoch validation AUC and losses from a run log, drawn in the report and as learning-curve.svg', async () => {
  const log: LogEntry[] = [0, 1, 2].map((e) => ({
    epoch: e,
    iterations: 10 * (e + 1),
    losses: { discriminator: 0.01 / (e + 1), reconstruction: 0.3 - 0.1 * e },
    ...(e === 1 ? {} : { valAuc: { discriminator: 0.5 + 0.1 * e, residual: 0.4, input: 0.6 + 0.1 * e } }),
    lr: { generator: 1e-4, discriminator: 1e-4 },
    seconds: 60,
    elapsedSeconds: 70 * (e + 1),
  }));
  const c = learningCurveOf(log);
  assert.ok(c);
  assert.deepEqual(c.epochs, [1, 2, 3]);
  assert.deepEqual(c.valAuc.input, [0.6, null, 0.8]);
  assert.deepEqual(c.losses.reconstruction?.map((v) => Number(v?.toFixed(3))), [0.3, 0.2, 0.1]);
  assert.deepEqual(c.minutes?.map((v) => Number(v?.toFixed(3))), [1.167, 2.333, 3.5]);
  assert.equal(learningCurveOf([]), undefined);
  await withDir(async (dir) => {
    const rows: ScoredRow[] = Array.from({ length: 8 }, (_, i) => ({ path: `x${i}.png`, label: (i % 2) as 0 | 1, score: i }));
    const { files } = await writeReport({ out: join(dir, 'R'), rows, threshold: 'fixed:3', bootstrap: { n: 10 }, thumbnails: false, learningCurve: c });
    assert.ok(files.learningCurveSvg);
    const svg = await readFile(files.learningCurveSvg, 'utf8');
    assert.match(svg, /validation AUC per epoch/);
    // the input series has a gap at epoch 2: two points, one line through them
    assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
    const html = await readFile(files.reportHtml, 'utf8');
    assert.match(html, /Training curves/);
    assert.match(html, /training losses per epoch/);
    const none = await writeReport({ out: join(dir, 'R2'), rows, threshold: 'fixed:3', bootstrap: { n: 10 }, thumbnails: false });
    assert.equal(none.files.learningCurveSvg, undefined);
    assert.doesNotMatch(await readFile(none.files.reportHtml, 'utf8'), /Training curves/);
  });
});
