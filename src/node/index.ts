/** Library entry point of squid-ts. */
export { useBackend, type BackendChoice, type BackendInfo } from './backend/select.js';
export { Rng, type RngState } from '../core/util/rng.js';
export { SquidError, InputError } from '../core/util/errors.js';
export * from './image/index.js';
export * from './data/index.js';
export * from './digitanatomy/index.js';
export * from './metrics/index.js';
export * from './report/index.js';
export * from '../core/model/index.js';
export { loadPreset } from './cli/loadPreset.js';
export { train, loadDetector, loadImageFor, SQUID_TS_VERSION, type TrainOptions } from './api.js';
export { Detector, HEATMAP_KINDS, type DetectorOptions, type ImageScore, type HeatmapKind, type DetectorInput } from '../core/score/detector.js';
export { SCORE_KINDS, scoreBatch, scoreImages, rawOf, anomalyScores, parseScoreKind, type ScoreKind, type RawScores, type ScoreOptions } from '../core/score/scorer.js';
export { evaluateRun, type EvalOptions } from './score/evaluateRun.js';
export { trainLoop, NonFiniteLossError, type TrainResult, type TrainLoopOptions } from './train/trainer.js';
export { ArraySource, DigitAnatomySource, type BatchSource } from './train/sources.js';
export * from '../core/io/modelState.js';
