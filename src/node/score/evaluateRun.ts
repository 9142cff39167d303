/**
 * Evaluation of a trained run on a labelled set (Node): scores every image
 * with every score kind and writes the foundation's report with input and
 * reconstruction thumbnails.
 */
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { loadDetector } from '../api.js';
import { encodeGrayPng, encodeRgbPng } from '../image/encode.js';
import { heatmapOverlay } from './heatmapImage.js';
import { writeReport } from '../report/write.js';
import type { LearningCurve, ReportResult, ScoredRow, Thumbnail } from '../report/types.js';
import { parseThresholdPolicy, type ThresholdPolicy } from '../metrics/threshold.js';
import { SquidError } from '../../core/util/errors.js';
import { readRunConfig, readLog, runPaths, type LogEntry } from '../io/runDir.js';
import { loadLabelledSet } from './labelledSet.js';
import { anomalyScores, rawOf, SCORE_KINDS, type ScoreKind } from '../../core/score/scorer.js';
import { SCORE_KIND_LABELS } from '../../core/squid/presets.js';
import { silentTasks, withTask, type TaskProgress } from '../taskProgress.js';

export interface EvalOptions {
  run: string;
  /** Labelled folder (labels.csv or class sub-folders). */
  data: string;
  /** Report folder. */
  out: string;
  /** "stored" (default: the run's threshold of the primary kind) or a threshold policy. */
  threshold?: string;
  /** Primary score kind (default: the run's preset's); the others are listed as extra scores. */
  score?: ScoreKind;
  /** Labelled validation folder, for val-f1. */
  val?: string;
  /** Backend name recorded in the report. */
  backend?: string;
  /** Progress of loading, scoring and drawing (default: silent). */
  progress?: TaskProgress;
}

/** Warnings about the figures (in-sample data, a threshold that calls nearly every image one way), in words. */
export type EvalWarnings = string[];

/** Whether two folder paths name the same folder (after resolving links). */
function sameFolder(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** The evaluated folder is the run's validation folder (the same folder, links resolved): say the figures are in-sample. */
export function inSampleWarnings(runVal: string | null, data: string): EvalWarnings {
  if (!runVal || !sameFolder(runVal, data)) return [];
  return [`${data} is the run's validation folder, which picked the best epoch and the val-f1 threshold: these figures are in-sample (optimistic)`];
}

/** Nearly every image called one way at the threshold: say so (specificity or sensitivity below 5%). */
export function thresholdWarnings(m: { specificity: number; sensitivity: number }): EvalWarnings {
  const out: EvalWarnings = [];
  if (m.specificity < 0.05) out.push(`the threshold calls ${(100 * (1 - m.specificity)).toFixed(0)}% of the normal images abnormal (specificity ${m.specificity.toFixed(2)}): it is degenerate on this data`);
  if (m.sensitivity < 0.05) out.push(`the threshold calls ${(100 * (1 - m.sensitivity)).toFixed(0)}% of the abnormal images normal (sensitivity ${m.sensitivity.toFixed(2)}): it is degenerate on this data`);
  return out;
}

export async function evaluateRun(opts: EvalOptions): Promise<ReportResult & { thresholdNote: string; warnings: EvalWarnings }> {
  const detector = await loadDetector(opts.run, opts.score ? { kind: opts.score } : {});
  const primary = detector.kind;
  try {
    const size = detector.size;
    const px = size * size;
    const progress = opts.progress ?? silentTasks;
    const set = await loadLabelledSet(opts.data, size, progress);
    const n = set.labels.length;
    const raw = await withTask(progress, `scoring ${n} images`, n, (onProgress) => detector.rawScores(set.x, undefined, { onProgress }));
    const rowsOf = (kind: ScoreKind, labels: readonly number[], names: readonly string[], types: readonly string[] | undefined, r: Float32Array): ScoredRow[] => {
      const s = detector.stats(kind);
      const scores = anomalyScores(r, s.mean, s.std);
      return names.map((path, i) => ({
        path,
        label: labels[i] === 1 ? 1 : 0,
        score: scores[i] as number,
        ...(types?.[i] ? { type: types[i] } : {}),
      }));
    };
    const rows = Object.fromEntries(
      SCORE_KINDS.filter((k) => raw[k]).map((k) => [k, rowsOf(k, set.labels, set.names ?? [], set.types, rawOf(raw, k))]),
    ) as Partial<Record<ScoreKind, ScoredRow[]>>;

    const stats = detector.stats(primary);
    let threshold: ThresholdPolicy;
    let thresholdNote: string;
    const policyText = opts.threshold ?? 'stored';
    if (policyText === 'stored') {
      threshold = { kind: 'fixed', value: stats.threshold };
      thresholdNote = `the run's ${primary} threshold (${stats.policy})`;
    } else {
      threshold = parseThresholdPolicy(policyText);
      thresholdNote = policyText;
    }
    let valRows: ScoredRow[] | undefined;
    if (threshold.kind === 'val-f1') {
      if (!opts.val) throw new SquidError('--threshold val-f1 needs --val DIR (a labelled validation folder)');
      const val = await loadLabelledSet(opts.val, size, progress);
      const vr = await withTask(progress, `scoring ${val.labels.length} validation images`, val.labels.length, (onProgress) =>
        detector.rawScores(val.x, [primary], { onProgress }),
      );
      valRows = rowsOf(primary, val.labels, val.names ?? [], val.types, rawOf(vr, primary));
    }
    const normalReferenceScores = stats.trainRaw ? Array.from(anomalyScores(stats.trainRaw, stats.mean, stats.std)) : undefined;
    if (threshold.kind === 'normal-quantile' && !normalReferenceScores) {
      throw new SquidError(`${runPaths(opts.run).scoring} holds no training scores for normal-quantile; use stored, val-f1 or fixed:X`);
    }

    const index = new Map((set.names ?? []).map((n, i) => [n, i]));
    const thumbnails = async (path: string): Promise<Thumbnail[]> => {
      const i = index.get(path);
      if (i === undefined) return [];
      const input = set.x.subarray(i * px, (i + 1) * px);
      const recon = await detector.reconstruct(input);
      const shown = [
        { label: 'input', png: await encodeGrayPng(input, size, size) },
        { label: 'reconstruction', png: await encodeGrayPng(recon, size, size) },
      ];
      if (primary === 'memory') {
        // which patches are far from every normal patch of their position (red: MEMORY_HEAT_FULL_Z or more), over the input
        const { heatmap } = await detector.heatmap(input, 'memory');
        shown.push({ label: 'patch distance', png: await encodeRgbPng(heatmapOverlay(input, heatmap, size), size, size) });
      }
      if (primary === 'position' || primary === 'input+position') {
        // which patches the position head does not place at their own position (red: probability 0), over the input
        const { heatmap } = await detector.heatmap(input, 'position');
        shown.push({ label: 'out of place', png: await encodeRgbPng(heatmapOverlay(input, heatmap, size), size, size) });
      }
      return shown;
    };

    const config = await readRunConfig(opts.run);
    const warnings = inSampleWarnings(config.val, opts.data);
    const log = await readLog(opts.run);
    const last = log[log.length - 1];
    const meta: Record<string, string | number | boolean> = {
      run: opts.run,
      preset: config.preset.name,
      'training data': config.data,
      'iterations trained': last?.iterations ?? 0,
      'epochs logged': log.length,
      threshold: thresholdNote,
      score: `${primary}: ${SCORE_KIND_LABELS[primary]}`,
      'score statistics': `${stats.mean.toPrecision(5)} +- ${stats.std.toPrecision(3)} over training images`,
    };
    if (opts.backend) meta.backend = opts.backend;
    if (warnings.length > 0) meta.warning = warnings.join('; ');
    const others = SCORE_KINDS.filter((k) => k !== primary && rows[k]);
    const written = await writeReport({
      out: opts.out,
      rows: rows[primary] ?? [],
      valRows,
      normalReferenceScores,
      threshold,
      ...(policyText === 'stored' ? { storedThreshold: thresholdNote } : {}),
      scoreName: primary,
      extraScores: Object.fromEntries(others.map((k) => [k, rows[k] ?? []])),
      title: `squid evaluation: ${opts.data}`,
      learningCurve: learningCurveOf(log, await selectedBy(opts.run)),
      thumbnails,
      meta,
    });
    warnings.push(...thresholdWarnings(written.metrics.metrics));
    return { ...written, thresholdNote, warnings };
  } finally {
    detector.dispose();
  }
}

/** The score kind whose validation AUC picked the run's best model (best/model.json's meta), if recorded. */
async function selectedBy(run: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await readFile(path.join(runPaths(run).best, 'model.json'), 'utf8')) as { meta?: { selectBy?: unknown } };
    return typeof json.meta?.selectBy === 'string' ? json.meta.selectBy : undefined;
  } catch {
    return undefined; // the curve is drawn without the mark
  }
}

/** Per-epoch validation AUC and losses of a run's log (empty series left out). */
export function learningCurveOf(log: readonly LogEntry[], selected?: string): LearningCurve | undefined {
  if (log.length === 0) return undefined;
  const epochs = log.map((e) => e.epoch + 1);
  const valAuc: Record<string, (number | null)[]> = {};
  for (const k of SCORE_KINDS) {
    const y = log.map((e) => e.valAuc?.[k] ?? null);
    if (y.some((v) => v !== null)) valAuc[k] = y;
  }
  const lossNames = [...new Set(log.flatMap((e) => Object.keys(e.losses)))];
  const losses = Object.fromEntries(lossNames.map((k) => [k, log.map((e) => e.losses[k] ?? null)]));
  const minutes = log.map((e) => (e.elapsedSeconds !== undefined ? e.elapsedSeconds / 60 : null));
  return { epochs, valAuc, losses, ...(minutes.some((v) => v !== null) ? { minutes } : {}), ...(selected ? { selectedBy: selected } : {}) };
}
