/**
 * Screenshots of a report for review (never committed):
 * `node dist/bench/screenshots.js --report DIR --out DIR` renders
 * DIR/report.html in headless Chromium (Debian's, as the e2e test) and
 * writes OUT/report.png, the whole page. The heatmap figures of `squid
 * score --heatmaps` are PNG files already.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { argValue } from './args.js';
import { browserSkipReason, launchChromium } from '../test/e2e/harness.js';

const report = argValue('--report');
const out = argValue('--out');
if (!report || !out) {
  process.stderr.write('usage: node dist/bench/screenshots.js --report DIR --out DIR\n');
  process.exit(2);
}
const skip = await browserSkipReason();
if (skip) {
  process.stderr.write(`screenshots: ${skip}\n`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const context = await launchChromium({ width: 1200, height: 900 });
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(resolve(report, 'report.html')).href);
  await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
  process.stdout.write(`${join(out, 'report.png')}\n`);
} finally {
  await context.close();
}
