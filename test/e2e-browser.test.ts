/**
 * End to end in real headless Chromium: a tiny SQUID model is trained
 * briefly (`squid train`), exported (`squid export`), the built app is served
 * on 127.0.0.1, the model and two DigitAnatomy images (one normal, one
 * abnormal) go in through the page's file pickers, and the scores the page
 * shows must equal Node's (`squid score`, and the shared export loader)
 * within 1e-3. Every network request is recorded: none may leave
 * localhost, and none after load may carry data. A screenshot goes to
 * artifacts/e2e-browser.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../src/backend/select.js';
import { getPreset } from '../src/model/presets.js';
import { createSquid } from '../src/model/squid.js';
import { createDigitAnatomy } from '../src/digitanatomy/index.js';
import { saveGrayPng } from '../src/image/encode.js';
import { loadImage } from '../src/image/load.js';
import { loadExport } from '../src/export/loadExport.js';
import { folderReader } from '../src/export/nodeFiles.js';
import { inferImage } from '../src/export/infer.js';
import { serveStatic } from '../src/export/appServer.js';
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
} from './e2eHarness.js';
import { makeTinyExport, type NodeScore } from './e2eModel.js';

const skip = await browserSkipReason();
if (skip) process.stdout.write(`# e2e-browser skipped: ${skip}\n`);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

test('the browser app scores DigitAnatomy images as Node does, without network traffic', { skip, timeout: 600_000 }, async (t) => {
  await useBackend('cpu', { quiet: true });
  const work = mkdtempSync(join(tmpdir(), 'squid-e2e-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // Two test images at the model size (no resize: browser and sharp see the same pixels).
  const preset = getPreset('tiny');
  const size = preset.model.imageSize;
  const gen = await createDigitAnatomy({ size, seed: 2024, split: 'test' });
  const normalPath = join(work, 'normal.png');
  const abnormalPath = join(work, 'abnormal-zero.png');
  await saveGrayPng(normalPath, gen.normal(), size, size);
  await saveGrayPng(abnormalPath, gen.abnormal('zero').image, size, size);
  const images = [normalPath, abnormalPath];

  // Train briefly, export; Node's own scores of the two images.
  const made = await makeTinyExport(work, images);
  t.diagnostic(`model: ${made.how}`);
  const exportFiles = readdirSync(made.exportDir).map((f) => join(made.exportDir, f));

  // The same export through the shared loader in Node.
  const loaded = await loadExport(folderReader(made.exportDir), (p) => createSquid(p, { seed: 0 }));
  const viaLoader: NodeScore[] = [];
  for (const path of images) {
    const r = await inferImage(loaded.model, loaded.info, await loadImage(path, { size }), { heatmap: false });
    viaLoader.push({ file: path, score: r.score, abnormal: r.abnormal });
  }
  loaded.model.dispose();
  for (let i = 0; i < images.length; i++) {
    const a = made.nodeScores[i] as NodeScore;
    const b = viaLoader[i] as NodeScore;
    assert.ok(Math.abs(a.score - b.score) < 1e-5, `Node: export loader ${b.score} vs ${made.how} ${a.score} for ${a.file}`);
  }

  const appDir = buildApp(join(work, 'app'));
  const server = await serveStatic(appDir, 0);
  t.after(() => server.close());
  const context = await launchChromium();
  t.after(() => context.close());
  const page = await context.newPage();
  const all = recordRequests(page);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  const backend = await openApp(page, server.url);
  const loadCount = all.length;
  await loadModelInPage(page, exportFiles);
  const shown = await scoreInPage(page, images);
  await page.fill('#opacity', '60');
  await page.dispatchEvent('#opacity', 'input');
  mkdirSync(join(REPO, 'artifacts'), { recursive: true });
  const shot = join(REPO, 'artifacts', 'e2e-browser.png');
  await page.screenshot({ path: shot, fullPage: true });
  const privacy = (await page.textContent('#privacy')) ?? '';

  t.diagnostic(`backend in the page: ${backend}; screenshot: ${shot}`);
  for (const s of shown) t.diagnostic(`page: ${s.file} score ${s.score.toFixed(6)} ${s.abnormal ? 'abnormal' : 'normal'} in ${s.ms.toFixed(0)} ms`);
  for (const s of made.nodeScores) t.diagnostic(`node: ${s.file} score ${s.score.toFixed(6)}`);

  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  assert.match(privacy, /images stay on this device/i);
  assert.equal(shown.length, 2);
  for (let i = 0; i < images.length; i++) {
    const node = made.nodeScores[i] as NodeScore;
    const page = shown.find((s) => s.file === (images[i] as string).split('/').pop());
    assert.ok(page, `the page shows ${images[i]}`);
    assert.ok(Number.isFinite(page.score), `finite score for ${page.file}`);
    assert.ok(Math.abs(page.score - node.score) <= 1e-3, `${page.file}: page ${page.score} vs node ${node.score} (backend ${backend})`);
    if (node.abnormal !== null && Math.abs(node.score - made.threshold) > 1e-3) {
      assert.equal(page.abnormal, node.abnormal, `${page.file}: same call at the threshold`);
    }
  }

  // Network: nothing off localhost, ever; after load, nothing carrying data.
  for (const r of all) assert.ok(LOCAL_HOSTS.has(requestHost(r.url)) || r.url.startsWith('data:'), `request off localhost: ${r.url}`);
  const afterLoad = all.slice(loadCount);
  t.diagnostic(`requests: ${loadCount} while loading, ${afterLoad.length} after (${afterLoad.map((r) => r.url).join(', ')})`);
  for (const r of afterLoad) {
    assert.equal(r.bodyBytes, 0, `request with a body after load: ${r.method} ${r.url}`);
    assert.ok(r.method === 'GET', `non-GET request after load: ${r.method} ${r.url}`);
    assert.ok(!/\.(png|jpe?g|bin)$/i.test(r.url) && r.url.length < 512, `request naming data after load: ${r.url}`);
    assert.notEqual(r.resourceType, 'websocket', `websocket after load: ${r.url}`);
  }
});
