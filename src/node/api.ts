/**
 * The library API for the whole job (Node):
 *   const result = await train({ data: 'digitanatomy', preset: 'tiny', out: 'runs/a' });
 *   const detector = await loadDetector('runs/a');
 *   const { score, anomalous } = await detector.score(pixels);
 * createSquid(preset, { seed }) builds an untrained model.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Preset } from '../core/squid/presets.js';
import { getPreset } from '../core/squid/presets.js';
import { createSquid } from '../core/model/squid.js';
import { SquidError } from '../core/util/errors.js';
import { modelDirExists, readModelDir, readRunConfig, readScoring, runPaths } from './io/runDir.js';
import { loadExport } from '../core/export/loadExport.js';
import { folderReader } from './export/nodeFiles.js';
import { SQUID_JSON } from '../core/export/squidJson.js';
import { disposeState } from '../core/io/modelState.js';
import { trainLoop, type TrainResult } from './train/trainer.js';
import { trainingSource, validationSet } from './train/data.js';
import type { BatchSource } from './train/sources.js';
import type { LabelledPixels } from './score/statistics.js';
import type { ScoreKind } from '../core/score/scorer.js';
import { autoProgress, lineProgress, silentProgress, type ProgressReporter } from './train/progress.js';
import { Detector, type DetectorOptions } from '../core/score/detector.js';
import { loadImage } from './image/load.js';

export { createSquid };
export { Detector, type DetectorOptions, type ImageScore, type HeatmapKind } from '../core/score/detector.js';
export type { TrainResult } from './train/trainer.js';

/** The package version (from package.json), recorded in config.json. */
export const SQUID_TS_VERSION: string = (() => {
  try {
    const pkg = createRequire(import.meta.url)('../../../package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

export interface TrainOptions {
  /** A folder of normal images, "digitanatomy" (fresh generated images), or a BatchSource. */
  data?: string | BatchSource;
  /** Run folder. */
  out: string;
  /** A preset name or object. Default: the run's on resume, else required. */
  preset?: Preset | string;
  /** A labelled folder, "digitanatomy" (a generated set), labelled pixels, or null. */
  val?: string | LabelledPixels | null;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  resume?: boolean;
  /** Delete a run already in `out` and start again (without it such a folder is refused). */
  overwrite?: boolean;
  maxIters?: number;
  /** Stop once the run has taken this many minutes of wall time in all (resumable). */
  maxMinutes?: number;
  /** Score kind whose validation AUC picks the best model (default: the preset's). */
  selectBy?: ScoreKind;
  /** Validate every k-th epoch (default 1). */
  valEvery?: number;
  /** 'auto' (bar on a TTY, else lines), 'lines', 'none' (default), or a reporter. */
  progress?: 'auto' | 'lines' | 'none' | ProgressReporter;
  signal?: AbortSignal;
  /** Training images for the score statistics (default 200). */
  statsImages?: number;
}

function reporter(p: TrainOptions['progress']): ProgressReporter {
  if (p === undefined || p === 'none') return silentProgress;
  if (p === 'auto') return autoProgress();
  if (p === 'lines') return lineProgress();
  return p;
}

/** Trains SQUID (or resumes a run); see TrainOptions. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const stored = opts.resume ? await readRunConfig(opts.out) : null;
  let preset: Preset;
  if (opts.preset === undefined) {
    if (!stored) throw new SquidError('train: a preset is required (e.g. "digitanatomy" or "tiny")');
    preset = structuredClone(stored.preset);
  } else {
    preset = typeof opts.preset === 'string' ? getPreset(opts.preset) : structuredClone(opts.preset);
  }
  if (opts.epochs !== undefined) preset.train.epochs = opts.epochs;
  if (opts.batchSize !== undefined) preset.train.batchSize = opts.batchSize; // a resumed run checks it (trainer.ts)
  const seed = stored?.seed ?? opts.seed ?? 0;
  if (stored && typeof opts.data === 'string' && opts.data !== stored.data) {
    throw new SquidError(
      `${runPaths(opts.out).config}: the run trains on ${stored.data}; a resumed run cannot change its data (resume without --data, or start a new run)`,
    );
  }
  if (stored && typeof opts.val === 'string' && opts.val !== stored.val) {
    throw new SquidError(
      `${runPaths(opts.out).config}: the run validates on ${stored.val ?? 'nothing'}; a resumed run cannot change its validation set (resume without --val)`,
    );
  }
  const data = opts.data ?? stored?.data;
  if (data === undefined) throw new SquidError('train: no training data given');
  const valArg = opts.val === undefined ? (stored?.val ?? null) : opts.val;
  const source = typeof data === 'string' ? await trainingSource(data, preset, seed) : data;
  const val = typeof valArg === 'string' ? await validationSet(valArg, preset, seed) : valArg;
  return trainLoop({
    out: opts.out,
    preset,
    seed,
    source,
    val,
    dataLabel: typeof data === 'string' ? data : source.description,
    valLabel: typeof valArg === 'string' ? valArg : null, // an in-memory set is not recorded (resume passes it again)
    createModel: createSquid,
    resume: opts.resume,
    overwrite: opts.overwrite,
    maxIters: opts.maxIters,
    maxMinutes: opts.maxMinutes,
    selectBy: opts.selectBy,
    valEvery: opts.valEvery,
    progress: reporter(opts.progress),
    version: SQUID_TS_VERSION,
    signal: opts.signal,
    statsImages: opts.statsImages,
  });
}

/** The best model of a run with its score statistics. */
export async function loadDetector(run: string, opts: DetectorOptions = {}): Promise<Detector> {
  if (existsSync(path.join(run, SQUID_JSON))) return loadExportedDetector(run, opts);
  await checkFinishedRun(run);
  const { json, state } = await readModelDir(runPaths(run).best);
  const scoring = await readScoring(run);
  const model = createSquid(json.preset, { seed: 0 });
  try {
    model.setState(state);
  } catch (err) {
    model.dispose();
    throw new SquidError(`${runPaths(run).best}: the weights do not fit preset "${json.preset.name}": ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    disposeState(state);
  }
  return new Detector(model, scoring, opts);
}

/** A run folder that cannot be scored yet says why and what to do. */
async function checkFinishedRun(run: string): Promise<void> {
  const p = runPaths(run);
  const hasBest = await modelDirExists(p.best);
  if (hasBest && existsSync(p.scoring)) return;
  if (existsSync(p.checkpoint) || existsSync(p.config)) {
    throw new SquidError(
      `${run}: the training was interrupted before its ${hasBest ? 'score statistics (scoring.json) were' : 'best model (best/) was'} written; ` +
        `finish it with: squid train --out ${run} --resume`,
    );
  }
  throw new SquidError(`${run}: neither a training run (config.json, best/, scoring.json) nor an export folder (squid.json)`);
}

/** A detector from an export folder (squid export): its model and normalization statistics. */
async function loadExportedDetector(dir: string, opts: DetectorOptions): Promise<Detector> {
  let loaded;
  try {
    loaded = await loadExport(folderReader(dir), (preset) => createSquid(preset, { seed: 0 }));
  } catch (err) {
    if (err instanceof SquidError) throw err;
    throw new SquidError(`${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return Detector.fromExport(loaded.model, loaded.info, opts);
}

/** Loads an image file at the detector's size (grayscale, [0, 1]). */
export function loadImageFor(detector: Detector, path: string): Promise<Float32Array> {
  return loadImage(path, { size: detector.size });
}
