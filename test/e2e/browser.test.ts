/**
 * End to end in real headless Chromium: a tiny SQUID model is trained
 * briefly, exported (`squid export`), the built app is served on 127.0.0.1,
 * the model and two DigitAnatomy images (one normal, one abnormal) go in
 * through the page's file pickers, and the scores the page shows must equal
 * `squid score` in Node within 1e-3. Every network request is recorded:
 * none may leave localhost, and none after load may carry data. A
 * screenshot goes to artifacts/e2e-browser.png.
 *
 * Two pages: the backend the app picks itself (wasm or webgl here) and the
 * app forced onto tfjs-cpu (the kernels Node's `squid score --backend cpu`
 * runs). A briefly trained discriminator rates all images almost alike, so
 * the raw-score spread over training images (std) is tiny and
 * 1 - sigmoid((raw - mean) / std) magnifies float32 rounding by 1/std: the
 * anomaly score is compared within 1e-3 on the cpu page always, and on the
 * auto page when std allows it (raw logits are compared there within 1e-4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { useBackend } from '../../src/node/backend/select.js';
import { getPreset } from '../../src/core/squid/presets.js';
import { createSquid } from '../../src/core/model/squid.js';
import { createDigitAnatomy } from '../../src/node/digitanatomy/index.js';
import { saveGrayPng } from '../../src/node/image/encode.js';
import { loadImage } from '../../src/node/image/load.js';
import { loadExport } from '../../src/core/export/loadExport.js';
import { folderReader } from '../../src/node/export/nodeFiles.js';
import { inferImage } from '../../src/core/score/infer.js';
import { serveStatic } from '../../src/node/export/appServer.js';
import {
  REPO,
  browserSkipReason,
  buildApp,
  launchChromium,
  loadModelInPage,
  openApp,
  recordRequests,
  requestHost,
  scoreInPage,
  type PageScore,
  type RecordedRequest,
} from './harness.js';
import { makeTinyExport, type NodeScore } from './model.js';

const skip = await browserSkipReason();
if (skip) process.stdout.write(`# e2e-browser skipped: ${skip}\n`);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A colour gradient with a disc, RGB PNG of w x h. */
async function writeColourPng(path: string, w: number, h: number): Promise<void> {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 4) ** 2 ? 90 : 0;
      rgb.set([Math.min(255, (x * 255) / w + disc), (y * 255) / h, 255 - (x * 255) / w], (y * w + x) * 3);
    }
  }
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path);
}

interface PageRun {
  backend: string;
  shown: PageScore[];
  requests: RecordedRequest[];
  loadCount: number;
  errors: string[];
  page: Page;
}

test('the browser app scores DigitAnatomy images as squid score does, without network traffic', { skip, timeout: 600_000 }, async (t) => {
  await useBackend('cpu', { quiet: true });
  const work = mkdtempSync(join(tmpdir(), 'squid-e2e-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // Two test images at the model size (no resize) and a JPEG at another size.
  const size = getPreset('tiny').model.imageSize;
  const gen = await createDigitAnatomy({ size, seed: 2024, split: 'test' });
  const normalPath = join(work, 'normal.png');
  const abnormalPath = join(work, 'abnormal-zero.png');
  await saveGrayPng(normalPath, gen.normal(), size, size);
  await saveGrayPng(abnormalPath, gen.abnormal('zero').image, size, size);
  // A 224 px JPEG of the abnormal image: decoded by each side's JPEG decoder and resized by the one
  // preprocessing (src/core/image/pixels.ts), it must score as the CLI scores it.
  const jpegPath = join(work, 'abnormal-224.jpg');
  await sharp(Buffer.from(Uint8Array.from(gen.abnormal('missing').image, (v) => Math.round(v * 255))), { raw: { width: size, height: size, channels: 1 } })
    .resize(224, 224, { kernel: 'linear' })
    .jpeg({ quality: 90 })
    .toFile(jpegPath);
  const images = [normalPath, abnormalPath, jpegPath];
  // A colour PNG at another size: checks the browser's decode + resize against the Node loader.
  const resizedPath = join(work, 'colour-150x120.png');
  await writeColourPng(resizedPath, 150, 120);

  const made = await makeTinyExport(work, images);
  t.diagnostic(`model: ${made.how}; score ${made.kind}, raw std over training images ${made.rawStd.toExponential(2)}`);
  const exportFiles = readdirSync(made.exportDir).map((f) => join(made.exportDir, f));

  // The export through the loader the browser uses, in Node: same numbers as squid score.
  const loaded = await loadExport(folderReader(made.exportDir), (p) => createSquid(p, { seed: 0 }));
  for (const [i, path] of images.entries()) {
    const r = await inferImage(loaded.model, loaded.info, await loadImage(path, { size }), { heatmap: false });
    const cli = made.nodeScores[i] as NodeScore;
    assert.equal(basename(cli.file), basename(path));
    assert.ok(Math.abs(r.score - cli.score) < 1e-6, `export loader ${r.score} vs squid score ${cli.score} for ${path}`);
    assert.equal(r.abnormal, cli.abnormal);
  }
  loaded.model.dispose();

  const appDir = buildApp(join(work, 'app'));
  const server = await serveStatic(appDir, 0);
  t.after(() => server.close());
  const context = await launchChromium();
  t.after(() => context.close());

  const runPage = async (query: string): Promise<PageRun> => {
    const page = await context.newPage();
    const requests = recordRequests(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const backend = await openApp(page, server.url + query);
    const loadCount = requests.length;
    await loadModelInPage(page, exportFiles);
    const shown = (await scoreInPage(page, [...images, resizedPath])).filter((r) => r.file !== basename(resizedPath));
    return { backend, shown, requests, loadCount, errors, page };
  };

  const auto = await runPage('');
  await auto.page.fill('#opacity', '60');
  await auto.page.dispatchEvent('#opacity', 'input');
  mkdirSync(join(REPO, 'artifacts'), { recursive: true });
  const shot = join(REPO, 'artifacts', 'e2e-browser.png');
  await auto.page.screenshot({ path: shot, fullPage: true });
  assert.match((await auto.page.textContent('#privacy')) ?? '', /images stay on this device/i);
  // CSV download: one row per image with the shown scores.
  const [download] = await Promise.all([auto.page.waitForEvent('download'), auto.page.click('#csv')]);
  const csvPath = join(work, 'scores.csv');
  await download.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').trim().split(/\r?\n/);
  const header = (csv[0] ?? '').split(',');
  assert.deepEqual(header.slice(0, 5), ['file', 'width', 'height', 'anomaly_score', 'call']);
  assert.equal(csv.length, 2 + images.length);
  for (const line of csv.slice(1).filter((l) => !l.startsWith(basename(resizedPath)))) {
    const cells = line.split(',');
    const shown = auto.shown.find((x) => x.file === cells[0]);
    assert.ok(shown, `CSV row for a shown image: ${line}`);
    assert.equal(Number(cells[3]), shown.score);
  }
  // The input the page fed the model (its input canvas, 8-bit) against the Node loader: the same pixels.
  const inputs = await auto.page.$$eval('tr.result', (rows) =>
    rows.map((tr) => {
      const c = tr.querySelector('td.input canvas') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      return { file: (tr as HTMLElement).dataset.file ?? '', grey: Array.from(d.filter((_, i) => i % 4 === 0)) };
    }),
  );
  for (const path of [...images, resizedPath]) {
    const node = await loadImage(path, { size });
    const page = inputs.find((x) => x.file === basename(path));
    assert.ok(page && page.grey.length === node.length, `input canvas of ${path}`);
    let max = 0;
    for (let i = 0; i < node.length; i++) max = Math.max(max, Math.abs((page.grey[i] as number) - Math.round((node[i] as number) * 255)));
    t.diagnostic(`page input vs the Node loader for ${basename(path)}: max difference ${max} levels`);
    assert.equal(max, 0, `${basename(path)}: page input differs from the Node loader's by ${max} levels`);
  }
  // Scoring the same images again leaves no tensors behind.
  const tensorsBefore = Number(await auto.page.getAttribute('#images-status', 'data-tensors'));
  await scoreInPage(auto.page, [...images, resizedPath]);
  const tensorsAfter = Number(await auto.page.getAttribute('#images-status', 'data-tensors'));
  assert.ok(tensorsBefore > 0 && tensorsAfter === tensorsBefore, `tensors in the page: ${tensorsBefore} then ${tensorsAfter}`);
  const cpu = await runPage('?backend=cpu');
  assert.equal(cpu.backend, 'cpu');

  const anomalyTolerance = 1e-3;
  // raw values: the auto backend (webgl / wasm) within 1e-4; the cpu page within 1e-5 (Node runs the
  // native kernels: Winograd convolutions, statistics in double; float32 rounding apart, measured up to
  // ~6e-7 on raw values ~0.3, so 2e-6 bounds it)
  const rawTolerance = 1e-4;
  const cpuRawTolerance = 1e-5;
  const cpuRounding = 2e-6;
  // 1 - sigmoid(z) moves at most 0.25 * d raw / std: scores are comparable at 1e-3 only if the raw
  // difference a backend may have, magnified by 1 / std, stays below that (a barely trained model's
  // std is tiny)
  const autoComparable = (0.25 * rawTolerance) / made.rawStd <= anomalyTolerance;
  const cpuComparable = (0.25 * cpuRounding) / made.rawStd <= anomalyTolerance;
  for (const run of [auto, cpu]) {
    t.diagnostic(`page (${run.backend}): ${run.shown.map((s) => `${s.file} ${s.score.toFixed(6)} raw ${s.raw.toFixed(7)} ${s.abnormal ? 'abnormal' : 'normal'} ${s.ms.toFixed(0)} ms`).join('; ')}`);
    assert.deepEqual(run.errors, [], `no uncaught errors in the page (${run.backend})`);
    assert.equal(run.shown.length, images.length);
    for (const node of made.nodeScores) {
      const shown = run.shown.find((s) => s.file === basename(node.file));
      assert.ok(shown, `the ${run.backend} page shows ${node.file}`);
      const tol = run === cpu ? cpuRawTolerance : rawTolerance;
      assert.ok(Math.abs(shown.raw - node.raw) <= tol, `${shown.file} raw: page (${run.backend}) ${shown.raw} vs squid score ${node.raw}`);
      if (run === cpu ? cpuComparable : autoComparable) {
        assert.ok(
          Math.abs(shown.score - node.score) <= anomalyTolerance,
          `${shown.file}: page (${run.backend}) ${shown.score} vs squid score ${node.score}`,
        );
        if (Math.abs(node.score - made.threshold) > anomalyTolerance) assert.equal(shown.abnormal, node.abnormal, `${shown.file}: same call`);
      }
    }
  }
  t.diagnostic(`squid score: ${made.nodeScores.map((s) => `${basename(s.file)} ${s.score.toFixed(6)} raw ${s.raw.toFixed(7)}`).join('; ')}`);
  if (!autoComparable) {
    t.diagnostic(`auto backend (${auto.backend}): anomaly scores not compared at 1e-3 (std ${made.rawStd.toExponential(2)} magnifies rounding); raw within ${rawTolerance}`);
  }
  if (!cpuComparable) {
    t.diagnostic(`cpu page: anomaly scores not compared at 1e-3 (std ${made.rawStd.toExponential(2)} magnifies float32 rounding); raw within ${cpuRawTolerance}`);
  }

  // Network: nothing off localhost, ever; after load, nothing that could carry data.
  for (const run of [auto, cpu]) {
    for (const r of run.requests) assert.ok(LOCAL_HOSTS.has(requestHost(r.url)), `request off localhost: ${r.url}`);
    const after = run.requests.slice(run.loadCount);
    t.diagnostic(`requests (${run.backend}): ${run.loadCount} while loading, ${after.length} after load${after.length ? `: ${after.map((r) => r.url).join(', ')}` : ''}`);
    for (const r of after) {
      assert.equal(r.bodyBytes, 0, `request with a body after load: ${r.method} ${r.url}`);
      assert.equal(r.method, 'GET', `non-GET request after load: ${r.url}`);
      assert.notEqual(r.resourceType, 'websocket', `websocket after load: ${r.url}`);
      assert.ok(!/\.(png|jpe?g|bin)(\?|$)/i.test(r.url) && r.url.length < 512, `request naming data after load: ${r.url}`);
    }
  }
  t.diagnostic(`screenshot: ${shot}`);
});
