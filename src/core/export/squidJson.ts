/**
 * `squid.json`: what a browser or Node scorer needs beside the weights of an
 * exported model: the preset, the input size, how raw scores are normalized,
 * the decision threshold and where it came from, and the training data.
 * Browser-safe (no Node imports).
 */
import type { Preset } from '../squid/presets.js';

export const EXPORT_FORMAT = 'squid-ts-export';
export const EXPORT_FORMAT_VERSION = 1;
export const SQUID_JSON = 'squid.json';

import { SCORE_KINDS, type ScoreKind } from '../score/scorer.js';

export { SCORE_KINDS, type ScoreKind };

/**
 * Raw-score statistics over normal training images: z = (raw - mean) / std,
 * anomaly = 1 - sigmoid(z) (src/core/score/scorer.ts's anomalyScores).
 */
export interface ScoreNormalization {
  mean: number;
  std: number;
  /** This kind's anomaly-score threshold and its policy, when scoring chose one. */
  threshold?: number;
  policy?: string;
}

export interface ExportThreshold {
  /** Anomaly score (in [0, 1]) at or above which an image is called abnormal. */
  value: number;
  /** How the value was chosen (e.g. a validation policy name), as recorded by scoring. */
  policy: string;
  /** Which score kind the threshold applies to. */
  score: ScoreKind;
}

export interface SquidJson {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  preset: Preset;
  /** Square input side in pixels (= preset.model.imageSize), 1 channel, values in [0, 1]. */
  inputSize: number;
  /** The score shown first and thresholded. */
  primaryScore: ScoreKind;
  normalization: Partial<Record<ScoreKind, ScoreNormalization>>;
  threshold: ExportThreshold | null;
  training: {
    /** Training data name (folder or generator). */
    data: string;
    /** Date the scoring statistics were computed (ISO 8601). */
    date: string;
    /** How many training images the normalization statistics came from. */
    images: number | null;
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

/** Checks a parsed squid.json; `where` names the file in errors. */
export function parseSquidJson(doc: unknown, where = SQUID_JSON): SquidJson {
  const d = doc as Partial<SquidJson> | null;
  if (!d || typeof d !== 'object') fail(where, 'not a JSON object');
  if (d.format !== EXPORT_FORMAT) fail(where, `not a squid-ts export (format is ${JSON.stringify(d.format)})`);
  if (d.formatVersion !== EXPORT_FORMAT_VERSION) {
    fail(where, `format version ${String(d.formatVersion)} is not supported (expected ${EXPORT_FORMAT_VERSION})`);
  }
  const preset = d.preset;
  if (!preset || typeof preset !== 'object' || typeof preset.name !== 'string' || !preset.model) {
    fail(where, 'missing preset');
  }
  if (!finite(d.inputSize) || d.inputSize !== preset.model.imageSize) {
    fail(where, `inputSize ${String(d.inputSize)} does not match the preset's image size ${preset.model.imageSize}`);
  }
  if (!d.primaryScore || !SCORE_KINDS.includes(d.primaryScore)) fail(where, `unknown primaryScore ${String(d.primaryScore)}`);
  const norm = d.normalization;
  if (!norm || typeof norm !== 'object') fail(where, 'missing normalization');
  for (const [kind, n] of Object.entries(norm)) {
    if (!SCORE_KINDS.includes(kind as ScoreKind)) fail(where, `unknown score kind "${kind}" in normalization`);
    if (!n || !finite(n.mean) || !finite(n.std) || n.std < 0) {
      fail(where, `normalization.${kind} needs a finite mean and a non-negative std`);
    }
  }
  if (!norm[d.primaryScore]) fail(where, `no normalization for the primary score "${d.primaryScore}"`);
  const th = d.threshold;
  if (th !== null && th !== undefined) {
    if (!finite(th.value) || typeof th.policy !== 'string' || !SCORE_KINDS.includes(th.score)) {
      fail(where, 'threshold needs a finite value, a policy and a score kind');
    }
    if (!norm[th.score]) fail(where, `threshold is on "${th.score}", which has no normalization`);
  }
  if (!d.training || typeof d.training.data !== 'string') fail(where, 'missing training.data');
  if (!Array.isArray(d.files)) fail(where, 'missing files');
  return { ...d, threshold: th ?? null } as SquidJson;
}
