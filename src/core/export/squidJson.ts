/**
 * `squid.json`: what a browser or Node scorer needs beside the weights of an
 * exported model: the preset, the input size, the score statistics (in the
 * one format of RUN/scoring.json: how raw scores are standardized, the
 * thresholds and where they came from) and the training data.
 * Version 2; version 1 files (their own `normalization` and `threshold`)
 * are still read. Browser-safe (no Node imports).
 */
import type { Preset } from '../squid/presets.js';
import { SCORE_KINDS, type ScoreKind } from '../score/scorer.js';
import type { BaseScoreKind, ScoreStats, ScoringJson } from '../score/stats.js';

export const EXPORT_FORMAT = 'squid-ts-export';
export const EXPORT_FORMAT_VERSION = 2;
export const SQUID_JSON = 'squid.json';

export { SCORE_KINDS, type ScoreKind };

/** A squid.json of format version 1 (exports made before the statistics took scoring.json's format); read, never written. */
interface SquidJsonV1 {
  primaryScore: ScoreKind;
  normalization: Partial<Record<ScoreKind, { mean: number; std: number; threshold?: number; policy?: string }>>;
  threshold: { value: number; policy: string; score: ScoreKind } | null;
  training: { data: string; date: string; images: number | null; seed: number | null };
}

export interface SquidJson {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  preset: Preset;
  /** Square input side in pixels (= preset.model.imageSize), 1 channel, values in [0, 1]. */
  inputSize: number;
  /** The score shown first and thresholded. */
  primaryScore: ScoreKind;
  /**
   * The score statistics in the one format of RUN/scoring.json
   * (src/core/score/stats.ts): per kind the mean and std of the raw score
   * over normal training images, the threshold and its policy; how many
   * training images; when. A threshold of null in the file (no threshold
   * chosen) reads as NaN.
   */
  scoring: ScoringJson;
  training: {
    /** Training data name (folder or generator). */
    data: string;
    seed: number | null;
  };
  exportedAt: string;
  /** Files of the export (model.json, weights), for the browser's "did you pick them all" check. */
  files: string[];
}

function fail(where: string, problem: string): never {
  throw new Error(`${where}: ${problem}`);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isKind(v: unknown): v is ScoreKind {
  return SCORE_KINDS.includes(v as ScoreKind);
}

/** Version 1's normalization and threshold in the statistics format (thresholds it did not hold are NaN). */
function scoringOfV1(d: SquidJsonV1, where: string): ScoringJson {
  const norm = d.normalization;
  if (!norm || typeof norm !== 'object') fail(where, 'missing normalization');
  const th = d.threshold;
  if (th !== null && th !== undefined && (!finite(th.value) || typeof th.policy !== 'string' || !isKind(th.score))) {
    fail(where, 'threshold needs a finite value, a policy and a score kind');
  }
  if (th && !norm[th.score]) fail(where, `threshold is on "${th.score}", which has no normalization`);
  const stats: Partial<Record<ScoreKind, ScoreStats>> = {};
  for (const [kind, n] of Object.entries(norm)) {
    if (!isKind(kind)) fail(where, `unknown score kind "${kind}" in normalization`);
    if (!n) continue;
    const threshold = th?.score === kind ? th.value : (n.threshold ?? Number.NaN);
    stats[kind] = { mean: n.mean, std: n.std, threshold, policy: (th?.score === kind ? th.policy : n.policy) ?? 'none' };
  }
  return { ...(stats as Record<BaseScoreKind, ScoreStats>), trainImages: d.training?.images ?? 0, date: d.training?.date ?? '' };
}

/** Checks the statistics of version 2 and turns null thresholds into NaN. */
function checkScoring(doc: unknown, where: string): ScoringJson {
  const sc = doc as Record<string, unknown> | null;
  if (!sc || typeof sc !== 'object') fail(where, 'missing scoring');
  const out: Record<string, unknown> = { ...sc };
  for (const [kind, v] of Object.entries(sc)) {
    if (kind === 'trainImages' || kind === 'stdFloor' || kind === 'date') continue;
    if (!isKind(kind)) fail(where, `unknown score kind "${kind}" in scoring`);
    const n = v as Partial<ScoreStats> & { threshold?: number | null };
    if (!n || !finite(n.mean) || !finite(n.std) || n.std < 0) fail(where, `scoring.${kind} needs a finite mean and a non-negative std`);
    if (n.threshold !== null && !finite(n.threshold)) fail(where, `scoring.${kind}.threshold must be a number or null`);
    out[kind] = { ...n, threshold: n.threshold ?? Number.NaN, policy: typeof n.policy === 'string' ? n.policy : 'none' };
  }
  return out as ScoringJson;
}

/** Checks a parsed squid.json (format version 1 or 2) and gives it as version 2; `where` names the file in errors. */
export function parseSquidJson(doc: unknown, where = SQUID_JSON): SquidJson {
  const d = doc as Partial<SquidJson> & Partial<SquidJsonV1>;
  if (!d || typeof d !== 'object') fail(where, 'not a JSON object');
  if (d.format !== EXPORT_FORMAT) fail(where, `not a squid-ts export (format is ${JSON.stringify(d.format)})`);
  if (d.formatVersion !== 1 && d.formatVersion !== EXPORT_FORMAT_VERSION) {
    fail(where, `format version ${String(d.formatVersion)} is not supported (expected 1 or ${EXPORT_FORMAT_VERSION})`);
  }
  const preset = d.preset;
  if (!preset || typeof preset !== 'object' || typeof preset.name !== 'string' || !preset.model) {
    fail(where, 'missing preset');
  }
  if (!finite(d.inputSize) || d.inputSize !== preset.model.imageSize) {
    fail(where, `inputSize ${String(d.inputSize)} does not match the preset's image size ${preset.model.imageSize}`);
  }
  if (!isKind(d.primaryScore)) fail(where, `unknown primaryScore ${String(d.primaryScore)}`);
  const scoring = d.formatVersion === 1 ? scoringOfV1(d as SquidJsonV1, where) : checkScoring(d.scoring, where);
  if (!scoring[d.primaryScore]) fail(where, `no statistics for the primary score "${d.primaryScore}"`);
  if (!d.training || typeof d.training.data !== 'string') fail(where, 'missing training.data');
  if (!Array.isArray(d.files)) fail(where, 'missing files');
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    preset,
    inputSize: d.inputSize,
    primaryScore: d.primaryScore,
    scoring,
    training: { data: d.training.data, seed: d.training.seed ?? null },
    exportedAt: typeof d.exportedAt === 'string' ? d.exportedAt : '',
    files: d.files,
  };
}
