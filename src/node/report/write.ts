/** writeReport: DIR/metrics.json, DIR/roc.svg and DIR/report.html. Node only. */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadImage } from '../image/load.js';
import { encodeGrayPng, pngDataUri } from '../image/encode.js';
import { rocCurve } from '../metrics/roc.js';
import { evaluateScores } from './evaluate.js';
import { reportHtml, type ThumbnailEntry } from './html.js';
import { histogramSvg, lineChartSvg, rocSvg, type RocSeries } from './svg.js';
import { writeScoresCsv } from './csv.js';
import type { LearningCurve, ReportOptions, ReportResult, ScoredRow, ThumbnailProvider } from './types.js';

/** Two charts: validation AUC per score kind, and the losses, against epoch. */
export function learningCurveSvgs(c: LearningCurve): { auc: string; losses: string } {
  const auc = lineChartSvg(
    c.epochs,
    Object.entries(c.valAuc).map(([name, y]) => ({ name: name === c.selectedBy ? `${name} (selects)` : name, y })),
    { title: 'validation AUC per epoch', xLabel: 'epoch', yLabel: 'AUC', yRange: [0, 1] },
  );
  const loss = lineChartSvg(
    c.epochs,
    Object.entries(c.losses).map(([name, y]) => ({ name, y })),
    { title: 'training losses per epoch (weighted, mean)', xLabel: 'epoch', yLabel: 'loss', logY: true },
  );
  return { auc, losses: loss };
}

/** The default thumbnail provider: the image file itself (size x size, squashed), none when it does not exist or cannot be read. */
export function fileThumbnails(size = 128): ThumbnailProvider {
  return async (path: string) => {
    try {
      await access(path);
      const img = await loadImage(path, { size });
      return [{ label: 'input', png: await encodeGrayPng(img, size, size) }];
    } catch {
      return [];
    }
  };
}

async function entries(rows: ScoredRow[], provider: ThumbnailProvider | false): Promise<ThumbnailEntry[]> {
  if (!provider) return [];
  const out: ThumbnailEntry[] = [];
  for (const row of rows) {
    const thumbs = await provider(row.path, row);
    if (thumbs.length > 0) out.push({ row, images: thumbs.map((t) => ({ label: t.label, src: pngDataUri(t.png) })) });
  }
  return out;
}

/**
 * Evaluate the rows and write DIR/metrics.json, DIR/roc.svg,
 * DIR/histogram.svg (normal and abnormal scores, the threshold marked),
 * DIR/scores.csv (per image: path,label,type,score,call; `squid report
 * --scores` reads it back) and a self-contained DIR/report.html (metrics
 * table, ROC curve, histogram, thumbnails of the highest-scoring normal and
 * lowest-scoring abnormal images).
 */
export async function writeReport(opts: ReportOptions): Promise<ReportResult> {
  const metrics = evaluateScores(opts);
  await mkdir(opts.out, { recursive: true });
  const series: RocSeries[] = [
    { name: metrics.score_name, curve: rocCurve(opts.rows.map((r) => r.label), opts.rows.map((r) => r.score)), auc: metrics.auc },
  ];
  for (const [name, rows] of Object.entries(opts.extraScores ?? {})) {
    series.push({ name, curve: rocCurve(rows.map((r) => r.label), rows.map((r) => r.score)), auc: metrics.extra_scores?.[name]?.auc ?? NaN });
  }
  const svg = rocSvg(series);
  const histogram = histogramSvg(
    [
      { name: 'normal', values: opts.rows.filter((r) => r.label === 0).map((r) => r.score) },
      { name: 'abnormal', values: opts.rows.filter((r) => r.label === 1).map((r) => r.score) },
    ],
    {
      title: `${metrics.score_name} score of the evaluated images`,
      xLabel: 'anomaly score (higher: more anomalous)',
      mark: { value: metrics.threshold.value, label: `threshold ${metrics.threshold.value.toFixed(3)}${metrics.threshold.oracle ? ' (oracle)' : ''}` },
    },
  );
  const curves = opts.learningCurve ? learningCurveSvgs(opts.learningCurve) : undefined;
  const k = opts.thumbnailCount ?? 8;
  const provider = opts.thumbnails === undefined ? fileThumbnails(opts.thumbnailSize ?? 128) : opts.thumbnails;
  const highestNormals = opts.rows.filter((r) => r.label === 0).sort((a, b) => b.score - a.score).slice(0, k);
  const lowestAbnormals = opts.rows.filter((r) => r.label === 1).sort((a, b) => a.score - b.score).slice(0, k);
  const html = reportHtml({
    title: opts.title ?? 'squid evaluation report',
    metrics,
    rocSvg: svg,
    histogramSvg: histogram,
    highestNormals: await entries(highestNormals, provider),
    lowestAbnormals: await entries(lowestAbnormals, provider),
    generatedAt: new Date().toISOString(),
    ...(curves ? { learningCurveSvg: `${curves.auc}${curves.losses}` } : {}),
  });
  const files: ReportResult['files'] = {
    metricsJson: join(opts.out, 'metrics.json'),
    rocSvg: join(opts.out, 'roc.svg'),
    histogramSvg: join(opts.out, 'histogram.svg'),
    scoresCsv: join(opts.out, 'scores.csv'),
    reportHtml: join(opts.out, 'report.html'),
  };
  if (curves) {
    files.learningCurveSvg = join(opts.out, 'learning-curve.svg');
    await writeFile(files.learningCurveSvg, curves.auc);
  }
  await writeFile(files.metricsJson, JSON.stringify(metrics, null, 2) + '\n');
  await writeFile(files.rocSvg, svg);
  await writeFile(files.histogramSvg, histogram);
  await writeScoresCsv(files.scoresCsv, opts.rows, metrics.threshold.value);
  await writeFile(files.reportHtml, html);
  return { metrics, files };
}
