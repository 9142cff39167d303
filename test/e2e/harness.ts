/**
 * Shared by the browser end-to-end test and the browser benchmark: build the
 * app, serve it, launch Debian Chromium headless through playwright-core,
 * record network requests.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { REPO } from '../repo.js';

export { REPO };
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export async function browserSkipReason(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent (install Debian chromium: scripts/setup.sh --test)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  if (!existsSync(join(REPO, 'node_modules', '.bin', 'vite'))) return 'vite is not installed';
  return undefined;
}

/** Builds the app (type check + vite) into a fresh folder; returns it. */
export function buildApp(outDir = mkdtempSync(join(tmpdir(), 'squid-app-'))): string {
  const run = (args: string[]): void => {
    const r = spawnSync(join(REPO, 'node_modules', '.bin', args[0] as string), args.slice(1), {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  };
  run(['tsc', '-p', 'app/tsconfig.json']);
  run(['vite', 'build', '--config', 'app/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']);
  return outDir;
}

export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'squid-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
}

export interface RecordedRequest {
  url: string;
  method: string;
  bodyBytes: number;
  resourceType: string;
}

/** Records every request the page (and its workers) makes from now on. */
export function recordRequests(page: Page): RecordedRequest[] {
  const seen: RecordedRequest[] = [];
  page.on('request', (r: Request) => {
    seen.push({ url: r.url(), method: r.method(), bodyBytes: r.postDataBuffer()?.byteLength ?? 0, resourceType: r.resourceType() });
  });
  page.on('websocket', (ws) => seen.push({ url: ws.url(), method: 'WEBSOCKET', bodyBytes: 0, resourceType: 'websocket' }));
  return seen;
}

/** Host of a request URL; blob: URLs count as their creator's origin. */
export function requestHost(url: string): string {
  const u = new URL(url.startsWith('blob:') ? url.slice(5) : url);
  return u.protocol === 'data:' ? 'data:' : u.hostname;
}

/** Opens the app and waits for its compute backend; returns the backend name. */
export async function openApp(page: Page, url: string, timeout = 120_000): Promise<string> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout });
  const ready = await page.getAttribute('body', 'data-ready');
  if (ready !== 'true') throw new Error(`app failed to start: ${await page.textContent('#backend')}`);
  return (await page.getAttribute('#backend', 'data-backend')) ?? '';
}

export async function loadModelInPage(page: Page, files: string[], timeout = 300_000): Promise<string> {
  await page.setInputFiles('#model-files', files);
  await page.waitForSelector('#model-status[data-state="ready"], #model-status[data-state="error"]', { state: 'attached', timeout });
  const text = (await page.textContent('#model-status')) ?? '';
  if ((await page.getAttribute('#model-status', 'data-state')) !== 'ready') throw new Error(text);
  return text;
}

export interface PageScore {
  file: string;
  score: number;
  /** Raw discriminator logit of the reconstruction. */
  raw: number;
  abnormal: boolean | null;
  /** Scores + reconstruction, as timed by the page. */
  ms: number;
  /** Heatmap (Grad-CAM), as timed by the page. */
  heatmapMs: number;
}

/** Adds images through the picker, waits until all are scored, returns every row so far. */
export async function scoreInPage(page: Page, images: string[], timeout = 600_000): Promise<PageScore[]> {
  const before = Number((await page.getAttribute('#images-status', 'data-count')) ?? '0');
  await page.setInputFiles('#image-files', images);
  await page.waitForFunction(
    (n) => {
      const s = document.getElementById('images-status');
      return s?.dataset.busy === 'false' && Number(s.dataset.count) >= n;
    },
    before + images.length,
    { timeout },
  );
  const errors = await page.$$eval('td.error', (tds) => tds.map((td) => td.textContent ?? ''));
  if (errors.length) throw new Error(`page could not score: ${errors.join('; ')}`);
  return page.$$eval('tr.result', (rows) =>
    rows.map((tr) => {
      const score = tr.querySelector('td.score') as HTMLElement | null;
      const call = tr.querySelector('td.call') as HTMLElement | null;
      const ab = call?.dataset.abnormal;
      return {
        file: (tr as HTMLElement).dataset.file ?? '',
        score: Number(score?.dataset.score),
        raw: Number(score?.dataset.raw),
        abnormal: ab === 'true' ? true : ab === 'false' ? false : null,
        ms: Number(score?.dataset.ms),
        heatmapMs: Number(score?.dataset.heatmapMs),
      };
    }),
  );
}
