/** The self-contained HTML report (images inlined as data URIs). Browser-safe. */
import { escapeXml as esc } from './svg.js';
import type { MetricsBlock, ReportMetrics, ScoredRow } from './types.js';

/** One row shown with its thumbnails (PNG data URIs). */
export interface ThumbnailEntry {
  row: ScoredRow;
  images: { label: string; src: string }[];
}

export interface HtmlInputs {
  title: string;
  metrics: ReportMetrics;
  /** Inline SVG markup of the ROC curve(s). */
  rocSvg: string;
  /** Inline SVG markup of the normal and abnormal score histograms, the threshold marked. */
  histogramSvg: string;
  highestNormals: ThumbnailEntry[];
  lowestAbnormals: ThumbnailEntry[];
  generatedAt: string;
  /** Inline SVG markup of the training curves, when the run's log was given. */
  learningCurveSvg?: string;
}

const f4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));

function metricRows(blocks: { head: string; m: MetricsBlock; threshold: number }[]): string {
  const line = (name: string, get: (m: MetricsBlock, t: number) => string): string =>
    `<tr><th>${name}</th>${blocks.map((b) => `<td>${get(b.m, b.threshold)}</td>`).join('')}</tr>`;
  return [
    `<tr><th></th>${blocks.map((b) => `<th>${esc(b.head)}</th>`).join('')}</tr>`,
    line('threshold', (_m, t) => f4(t)),
    line('accuracy', (m) => f4(m.accuracy)),
    line('F1', (m) => f4(m.f1)),
    line('precision', (m) => f4(m.precision)),
    line('recall (sensitivity)', (m) => f4(m.recall)),
    line('specificity', (m) => f4(m.specificity)),
    line('TP / FP / TN / FN', (m) => `${m.confusion.tp} / ${m.confusion.fp} / ${m.confusion.tn} / ${m.confusion.fn}`),
  ].join('\n');
}

function thumbs(entries: ThumbnailEntry[]): string {
  if (entries.length === 0) return '<p class="note">No images to show (files not found, or thumbnails off).</p>';
  return `<div class="thumbs">${entries
    .map(
      (e) =>
        `<figure>${e.images.map((im) => `<div class="im"><img src="${im.src}" alt="${esc(im.label)}"><span>${esc(im.label)}</span></div>`).join('')}` +
        `<figcaption title="${esc(e.row.path)}">${esc(e.row.path.split(/[\\/]/).pop() ?? e.row.path)}<br>score ${f4(e.row.score)}${e.row.type ? ` · ${esc(e.row.type)}` : ''}</figcaption></figure>`,
    )
    .join('\n')}</div>`;
}

/** The whole page. Oracle figures are labelled "oracle" wherever they appear. */
export function reportHtml(h: HtmlInputs): string {
  const m = h.metrics;
  const policyHead = m.threshold.oracle ? `oracle (${m.threshold.policy}: best accuracy on these labels)` : `${m.threshold.policy} (${m.threshold.source})`;
  const blocks = [{ head: policyHead, m: m.metrics, threshold: m.threshold.value }];
  if (m.oracle_best_accuracy) {
    blocks.push({ head: 'oracle (best accuracy on these labels)', m: m.oracle_best_accuracy.metrics, threshold: m.oracle_best_accuracy.threshold });
  }
  const typeTable = (t: Record<string, { auc: number; n: number }> | undefined): string =>
    t
      ? `<table><tr><th>anomaly type</th><th>abnormal images</th><th>AUC vs all normals</th></tr>${Object.entries(t)
          .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v.n}</td><td>${f4(v.auc)}</td></tr>`)
          .join('')}</table>`
      : '';
  const extra = m.extra_scores
    ? `<h2>Other scores</h2><table><tr><th>score</th><th>AUC</th><th>95% interval</th></tr>${Object.entries(m.extra_scores)
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${f4(v.auc)}</td><td>${f4(v.auc_ci.low)} – ${f4(v.auc_ci.high)}</td></tr>`)
        .join('')}</table>${Object.entries(m.extra_scores)
        .filter(([, v]) => v.per_type_auc && Object.keys(v.per_type_auc).length > 1)
        .map(([k, v]) => `<h3>${esc(k)} per anomaly type</h3>${typeTable(v.per_type_auc)}`)
        .join('')}`
    : '';
  const meta = m.meta
    ? `<table>${Object.entries(m.meta)
        .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(h.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
.note{color:#666;font-size:90%}.thumbs{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;padding:6px}figcaption{font-size:80%;max-width:280px;overflow-wrap:anywhere}
.im{display:inline-block;margin-right:4px;text-align:center;font-size:75%}.im img{display:block;image-rendering:pixelated;width:128px;height:128px}
</style></head><body>
<h1>${esc(h.title)}</h1>
<p class="note">Generated ${esc(h.generatedAt)}. ${esc(m.score_convention)}.</p>
${meta}
<h2>Summary (${esc(m.score_name)})</h2>
<table>
<tr><th>images</th><td>${m.counts.total} (${m.counts.normal} normal, ${m.counts.abnormal} abnormal)</td></tr>
${m.val_counts ? `<tr><th>validation images</th><td>${m.val_counts.total} (${m.val_counts.normal} normal, ${m.val_counts.abnormal} abnormal)</td></tr>` : ''}
<tr><th>ROC AUC</th><td>${f4(m.auc)}</td></tr>
<tr><th>AUC ${Math.round(m.auc_ci.level * 100)}% interval</th><td>${f4(m.auc_ci.low)} – ${f4(m.auc_ci.high)} (${esc(m.auc_ci.method)} bootstrap, ${m.auc_ci.resamples} resamples)</td></tr>
</table>
<h2>At a threshold</h2>
<table>${metricRows(blocks)}</table>
${m.oracle_best_accuracy || m.threshold.oracle ? '<p class="note">Oracle: the threshold was chosen on the evaluated labels themselves, as the paper\'s published accuracy and F1 were; it is not available in practice.</p>' : ''}
${m.threshold.source === 'evaluated-normals' ? '<p class="note">The normal-quantile threshold was taken from the evaluated normal images (no validation or normal reference scores were given): it used which evaluated images are normal, though none of the abnormal ones.</p>' : ''}
${m.per_type_auc && Object.keys(m.per_type_auc).length > 1 ? `<h2>Per anomaly type</h2>${typeTable(m.per_type_auc)}` : ''}
${extra}
<h2>ROC curve</h2>
${h.rocSvg}
<h2>Score distribution</h2>
${h.histogramSvg}
<p class="note">Every image's score and call at this threshold: scores.csv (path,label,type,score,call; <code>squid report --scores</code> reads it back).</p>
${h.learningCurveSvg ? `<h2>Training curves (the run's log.jsonl)</h2>\n${h.learningCurveSvg}` : ''}
<h2>Highest-scoring normal images</h2>
${thumbs(h.highestNormals)}
<h2>Lowest-scoring abnormal images</h2>
${thumbs(h.lowestAbnormals)}
</body></html>
`;
}
