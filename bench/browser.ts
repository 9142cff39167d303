/**
 * `npm run bench:browser`: inference time per image in the browser app, in
 * headless Debian Chromium, at the zhanglab preset (128x128; random-init
 * weights: timing does not depend on training). For each backend asked for
 * (default: the page's own choice, then webgl and wasm forced unless that
 * was the page's choice), it loads the
 * exported model through the page, scores `--images` images one at a time
 * and reports the page's own timings (scores + reconstruction; Grad-CAM
 * heatmap separately), the first image (warm-up: shader compilation, wasm
 * set-up) apart. Options: --preset NAME, --images N, --backends auto,webgl,wasm,cpu,
 * --out FILE (JSON; default artifacts/bench-browser.json).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { useBackend } from '../src/node/backend/select.js';
import { getPreset } from '../src/core/squid/presets.js';
import { exportUntrained } from '../src/node/export/untrained.js';
import { serveStatic } from '../src/node/export/appServer.js';
import { saveGrayPng } from '../src/node/image/encode.js';
import { Rng } from '../src/core/util/rng.js';
import {
  REPO,
  browserSkipReason,
  buildApp,
  launchChromium,
  loadModelInPage,
  openApp,
  scoreInPage,
} from '../test/e2e/harness.js';
import { argValue } from './args.js';

interface BackendResult {
  asked: string;
  backend: string;
  modelLoadMs: number;
  warmupMs: number;
  /** Per image after the first: scores + reconstruction. */
  scoreMs: number[];
  heatmapMs: number[];
  medianScoreMs: number;
  meanScoreMs: number;
  medianHeatmapMs: number;
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Smooth random grey images (a few blobs) so every image differs. */
function syntheticImage(size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size * size);
  const blobs = Array.from({ length: 6 }, () => [rng.next() * size, rng.next() * size, 4 + rng.next() * size * 0.2, rng.next()]);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0.2;
      for (const [bx, by, r, a] of blobs) v += (a as number) * Math.exp(-((x - (bx as number)) ** 2 + (y - (by as number)) ** 2) / (2 * (r as number) ** 2));
      out[y * size + x] = Math.min(1, v);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const skip = await browserSkipReason();
  if (skip) {
    process.stdout.write(`bench:browser skipped: ${skip}\n`);
    return;
  }
  const presetName = argValue('--preset') ?? 'zhanglab';
  const n = Math.max(2, Number(argValue('--images') ?? '6'));
  const backends = (argValue('--backends') ?? 'auto,webgl,wasm').split(',').filter(Boolean);
  const outFile = argValue('--out') ?? join(REPO, 'artifacts', 'bench-browser.json');
  await useBackend('cpu', { quiet: true });
  const work = mkdtempSync(join(tmpdir(), 'squid-bench-browser-'));
  try {
    const preset = getPreset(presetName);
    const size = preset.model.imageSize;
    const exportDir = join(work, 'export');
    await exportUntrained(exportDir, preset, { seed: 1 });
    const modelFiles = readdirSync(exportDir).map((f) => join(exportDir, f));
    const rng = new Rng(7);
    const images: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = join(work, `img${i}.png`);
      await saveGrayPng(p, syntheticImage(size, rng), size, size);
      images.push(p);
    }
    process.stdout.write(`bench:browser: building the app, preset ${presetName} (${size}x${size}), ${n} images per backend\n`);
    const appDir = buildApp(join(work, 'app'));
    const server = await serveStatic(appDir, 0);
    const context = await launchChromium();
    const results: BackendResult[] = [];
    try {
      for (const asked of backends) {
        if (asked !== 'auto' && backends.includes('auto') && results.some((r) => r.asked === 'auto' && r.backend === asked)) continue;
        const page = await context.newPage();
        try {
          const backend = await openApp(page, server.url + (asked === 'auto' ? '' : `?backend=${asked}`));
          const t0 = Date.now();
          await loadModelInPage(page, modelFiles);
          const modelLoadMs = Date.now() - t0;
          const rows = [];
          // one image at a time, so each page timing is of that image alone
          for (const img of images) rows.push(...(await scoreInPage(page, [img])).slice(-1));
          const rest = rows.slice(1);
          const r: BackendResult = {
            asked,
            backend,
            modelLoadMs,
            warmupMs: rows[0]?.ms ?? NaN,
            scoreMs: rest.map((x) => x.ms),
            heatmapMs: rest.map((x) => x.heatmapMs),
            medianScoreMs: median(rest.map((x) => x.ms)),
            meanScoreMs: rest.reduce((s, x) => s + x.ms, 0) / rest.length,
            medianHeatmapMs: median(rest.map((x) => x.heatmapMs)),
          };
          results.push(r);
          process.stdout.write(
            `  ${asked.padEnd(5)} -> ${backend.padEnd(5)}: ${r.medianScoreMs.toFixed(0)} ms/image median ` +
              `(mean ${r.meanScoreMs.toFixed(0)}, first image ${r.warmupMs.toFixed(0)}); ` +
              `heatmap +${r.medianHeatmapMs.toFixed(0)} ms; model load ${modelLoadMs} ms\n`,
          );
        } catch (err) {
          const error = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
          results.push({ asked, backend: '', modelLoadMs: NaN, warmupMs: NaN, scoreMs: [], heatmapMs: [], medianScoreMs: NaN, meanScoreMs: NaN, medianHeatmapMs: NaN, error });
          process.stdout.write(`  ${asked}: failed: ${error}\n`);
        } finally {
          await page.close();
        }
      }
    } finally {
      await context.close();
      await server.close();
    }
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(
      outFile,
      JSON.stringify({ date: new Date().toISOString(), preset: presetName, size, images: n, browser: 'chromium (headless, --disable-gpu)', results }, null, 2) + '\n',
    );
    process.stdout.write(`bench:browser: wrote ${outFile}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
