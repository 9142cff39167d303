/** The ROC curve(s) as a standalone SVG (browser-safe). */
import type { RocCurve } from '../metrics/roc.js';

export interface RocSeries {
  name: string;
  curve: RocCurve;
  auc: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** An SVG of ROC curves (false positive rate on x, true positive rate on y) with a legend giving each AUC. */
export function rocSvg(series: readonly RocSeries[], title = 'ROC curve'): string {
  const W = 440;
  const H = 440;
  const m = { l: 56, r: 16, t: 32, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const X = (v: number): string => (m.l + v * pw).toFixed(2);
  const Y = (v: number): string => (m.t + (1 - v) * ph).toFixed(2);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    parts.push(`<line x1="${X(v)}" y1="${Y(0)}" x2="${X(v)}" y2="${Y(1)}" stroke="#eee"/>`);
    parts.push(`<line x1="${X(0)}" y1="${Y(v)}" x2="${X(1)}" y2="${Y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${X(v)}" y="${Number(Y(0)) + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
    parts.push(`<text x="${m.l - 6}" y="${Number(Y(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#999" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">false positive rate (1 - specificity)</text>`);
  parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">true positive rate (sensitivity)</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length] as string;
    const pts = s.curve.fpr.map((f, i) => `${X(f)},${Y(s.curve.tpr[i] as number)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
  });
  // the legend on a white box over the lower right, drawn after every curve
  parts.push(`<rect x="${X(0.43)}" y="${Y(0.07 * series.length + 0.01)}" width="${(0.56 * pw).toFixed(2)}" height="${(0.07 * series.length * ph).toFixed(2)}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length] as string;
    const ly = Y(0.05 + 0.07 * (series.length - 1 - k));
    parts.push(`<line x1="${X(0.45)}" y1="${ly}" x2="${X(0.52)}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${X(0.54)}" y="${Number(ly) + 4}">${escapeXml(`${s.name}: AUC ${s.auc.toFixed(4)}`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface LineSeries {
  name: string;
  /** y per x; null = no value there (a gap). */
  y: (number | null)[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Fixed y range (default: the data's). */
  yRange?: [number, number];
  /** Logarithmic y axis (values <= 0 are left out). */
  logY?: boolean;
}

/** Lines over shared x values (e.g. per epoch), with a legend. */
export function lineChartSvg(x: readonly number[], series: readonly LineSeries[], o: LineChartOptions): string {
  const W = 560;
  const H = 320;
  const m = { l: 64, r: 190, t: 32, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const tr = (v: number): number => (o.logY ? Math.log10(v) : v);
  const ys = series.flatMap((s) => s.y.filter((v): v is number => v !== null && Number.isFinite(v) && (!o.logY || v > 0)).map(tr));
  let [lo, hi] = o.yRange ? [tr(o.yRange[0]), tr(o.yRange[1])] : [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
  const [x0, x1] = x.length > 1 ? [Math.min(...x), Math.max(...x)] : [(x[0] ?? 0) - 1, (x[0] ?? 0) + 1];
  const X = (v: number): string => (m.l + ((v - x0) / (x1 - x0)) * pw).toFixed(2);
  const Y = (v: number): string => (m.t + (1 - (tr(v) - lo) / (hi - lo)) * ph).toFixed(2);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const t = lo + ((hi - lo) * i) / 4;
    const v = o.logY ? 10 ** t : t;
    parts.push(`<line x1="${m.l}" y1="${Y(v)}" x2="${m.l + pw}" y2="${Y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Number(Y(v)) + 4}" text-anchor="end">${escapeXml(o.logY ? v.toExponential(0) : v.toFixed(2))}</text>`);
  }
  const xTicks = Math.min(5, Math.max(1, x.length - 1));
  for (let i = 0; i <= xTicks; i++) {
    const v = x0 + ((x1 - x0) * i) / xTicks;
    parts.push(`<text x="${X(v)}" y="${m.t + ph + 16}" text-anchor="middle">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length] as string;
    const pts = s.y
      .map((v, i) => (v !== null && Number.isFinite(v) && (!o.logY || v > 0) ? `${X(x[i] as number)},${Y(v)}` : null))
      .filter((p): p is string => p !== null);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
    const ly = m.t + 10 + 16 * k;
    parts.push(`<line x1="${m.l + pw + 10}" y1="${ly}" x2="${m.l + pw + 28}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${m.l + pw + 32}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface HistogramOptions {
  title: string;
  xLabel: string;
  /** A vertical mark (e.g. the decision threshold) and its label. */
  mark?: { value: number; label: string };
  bins?: number;
}

/**
 * Overlaid histograms of groups of values over one shared binning (e.g. the
 * scores of normal and of abnormal images), each as a fraction of its own
 * group, with an optional vertical mark.
 */
export function histogramSvg(groups: readonly { name: string; values: readonly number[] }[], o: HistogramOptions): string {
  const W = 520;
  const H = 300;
  const m = { l: 56, r: 150, t: 32, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = groups.flatMap((g) => g.values).filter(Number.isFinite);
  if (o.mark && Number.isFinite(o.mark.value)) all.push(o.mark.value);
  let [lo, hi] = all.length > 0 ? [Math.min(...all), Math.max(...all)] : [0, 1];
  if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
  const bins = o.bins ?? 30;
  const width = (hi - lo) / bins;
  const fractions = groups.map((g) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of g.values) if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    return counts.map((c) => (g.values.length > 0 ? c / g.values.length : 0));
  });
  const top = Math.max(1e-12, ...fractions.flat());
  const X = (v: number): number => m.l + ((v - lo) / (hi - lo)) * pw;
  const Y = (f: number): number => m.t + (1 - f / top) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const f = (top * i) / 4;
    parts.push(`<line x1="${m.l}" y1="${Y(f).toFixed(2)}" x2="${m.l + pw}" y2="${Y(f).toFixed(2)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(Y(f) + 4).toFixed(2)}" text-anchor="end">${f.toFixed(2)}</text>`);
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<text x="${X(v).toFixed(2)}" y="${m.t + ph + 16}" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  fractions.forEach((fr, k) => {
    const color = COLORS[k % COLORS.length] as string;
    fr.forEach((f, b) => {
      if (f === 0) return;
      const x = X(lo + b * width);
      parts.push(`<rect x="${x.toFixed(2)}" y="${Y(f).toFixed(2)}" width="${(X(lo + (b + 1) * width) - x).toFixed(2)}" height="${(m.t + ph - Y(f)).toFixed(2)}" fill="${color}" fill-opacity="0.45" stroke="${color}"/>`);
    });
    const ly = m.t + 10 + 16 * k;
    parts.push(`<rect x="${m.l + pw + 10}" y="${ly - 6}" width="18" height="12" fill="${color}" fill-opacity="0.45" stroke="${color}"/>`);
    parts.push(`<text x="${m.l + pw + 32}" y="${ly + 4}">${escapeXml(`${groups[k]!.name} (${groups[k]!.values.length})`)}</text>`);
  });
  if (o.mark && Number.isFinite(o.mark.value)) {
    const x = X(o.mark.value).toFixed(2);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#000" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    const ly = m.t + 10 + 16 * groups.length;
    parts.push(`<line x1="${m.l + pw + 10}" y1="${ly}" x2="${m.l + pw + 28}" y2="${ly}" stroke="#000" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    parts.push(`<text x="${m.l + pw + 32}" y="${ly + 4}">${escapeXml(o.mark.label)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">fraction of the group</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
