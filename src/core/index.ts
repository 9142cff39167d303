/**
 * The browser-safe core of squid-ts: the one entry the browser app (and any
 * other non-Node host) imports. Everything under src/core/ runs on tfjs
 * alone; src/node/ adds the native backend, files, training, the CLI and
 * reports on top of it (ARCHITECTURE.md).
 */
export { createSquid } from './model/squid.js';
export { getPreset, presetScore, SCORE_KINDS, SCORE_KIND_LABELS, type Preset, type ScoreKind } from './squid/presets.js';
export type { SquidModel } from './model/types.js';
export { scoreBatch, scoreImages, anomalyScores, rawOf, type RawScores } from './score/scorer.js';
export { inferImage, type ImageInference } from './score/infer.js';
export { Detector, type DetectorOptions, type ImageScore, type Inspection } from './score/detector.js';
export type { ScoreStats, ScoringJson } from './score/stats.js';
export { loadExport, type ExportReader, type LoadedExport } from './export/loadExport.js';
export { prepareRgba } from './image/pixels.js';
export { SquidError, InputError } from './util/errors.js';
