/**
 * The SQUID training loop of the reference: per iteration one discriminator
 * step; every n_critic-th iteration (of the epoch) one generator step, then
 * the memory-queue writes. Adam (torch semantics, generator weight decay),
 * cosine learning rate stepped per epoch, random-affine augmentation,
 * validation AUC per epoch with the best model kept, an atomic checkpoint
 * every epoch (and when --max-iters stops the run) that --resume continues
 * exactly, and score statistics at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import { presetScore, type Preset } from '../model/presets.js';
import type { SquidModel } from '../model/types.js';
import { Rng } from '../util/rng.js';
import { SquidError } from '../util/errors.js';
import { cosineLr } from './adam.js';
import { createOptimizers, ganStep, type OptimizerPair } from './ganStep.js';
import { augment } from '../data/augment.js';
import type { BatchSource } from './sources.js';
import { silentProgress, formatLosses, type ProgressReporter } from './progress.js';
import {
  appendLog,
  clearRun,
  readCheckpoint,
  runContents,
  readModelDir,
  modelDirExists,
  readRunConfig,
  runPaths,
  truncateLog,
  writeCheckpoint,
  writeModelDir,
  writeRunConfig,
  writeScoring,
  type CheckpointJson,
  type LogEntry,
  type RunConfig,
  type ScoringJson,
} from '../io/runDir.js';
import { disposeState, type TensorState } from '../io/modelState.js';
import { lockRun } from '../io/runLock.js';
import { SCORE_KINDS, type ScoreKind } from '../score/scorer.js';
import { computeScoring, validate, type ClassSpread, type LabelledPixels } from '../score/statistics.js';

export type ModelFactory = (preset: Preset, opts: { seed: number }) => SquidModel;

export interface TrainLoopOptions {
  /** Run folder (created). */
  out: string;
  preset: Preset;
  seed: number;
  source: BatchSource;
  /** Labelled validation images; null for none. */
  val: LabelledPixels | null;
  /** Words stored in config.json for the data and validation set. */
  dataLabel: string;
  valLabel: string | null;
  createModel: ModelFactory;
  /** Continue from RUN/checkpoint. */
  resume?: boolean;
  /** Delete a run already in `out` and start again (without it, such a folder is refused). */
  overwrite?: boolean;
  /** Stop after this many iterations in total (checkpointed; resumable). */
  maxIters?: number;
  /**
   * Stop once the run has taken this many minutes of wall time in total
   * (summed over resumed processes, validation included), then checkpoint,
   * validate and score as a finished run does.
   */
  maxMinutes?: number;
  /** Score kind whose validation AUC selects the best model. Default: the preset's. */
  selectBy?: ScoreKind;
  /** Validate every k-th epoch (and at the last and at a stop). Default 1. */
  valEvery?: number;
  progress?: ProgressReporter;
  /** Training images used for the score statistics. Default 200. */
  statsImages?: number;
  version?: string;
  /** Stops after the current iteration (checkpointed, resumable), e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export interface TrainResult {
  run: string;
  /** Epochs completed. */
  epochs: number;
  iterations: number;
  stoppedBy: 'epochs' | 'max-iters' | 'max-minutes' | 'interrupted';
  bestEpoch: number | null;
  bestValAuc: number | null;
  /** The score kind whose validation AUC picked the best model. */
  selectBy: ScoreKind;
  /** Mean wall seconds per iteration in this process. */
  secondsPerIteration: number;
  /** Score statistics written to RUN/scoring.json (null when interrupted). */
  scoring: ScoringJson | null;
}

const LOSS_KEYS = ['discriminator', 'generator', 'reconstruction', 'teacher', 'distillation', 'adversarial'] as const;

/** Thrown when a loss becomes NaN or infinite. */
export class NonFiniteLossError extends SquidError {
  constructor(
    readonly loss: string,
    readonly value: number,
    readonly epoch: number,
    readonly iteration: number,
    run: string,
  ) {
    super(
      `the ${loss} loss became ${value} at epoch ${epoch + 1}, iteration ${iteration + 1}; training stopped. ` +
        `The last good checkpoint is kept in ${runPaths(run).checkpoint} (lower the learning rate or check the data).`,
    );
    this.name = 'NonFiniteLossError';
  }
}

/** Model state (fresh copies: `owned`, for the caller to dispose) plus optimizer moments (references). */
function fullState(model: SquidModel, opt: OptimizerPair): { state: TensorState; owned: TensorState } {
  const owned = model.getState();
  const state: TensorState = {};
  for (const [k, v] of Object.entries(owned)) state[`model/${k}`] = v;
  Object.assign(state, opt.g.getState('optimizer/generator/'), opt.d.getState('optimizer/discriminator/'));
  return { state, owned };
}

async function saveModel(run: string, preset: Preset, model: SquidModel, meta: Record<string, string | number | null>): Promise<void> {
  const state = model.getState();
  try {
    await writeModelDir(runPaths(run).best, preset, state, meta);
  } finally {
    disposeState(state);
  }
}

/** The name of the first tensor holding a NaN or an infinity, or null. */
function firstNonFinite(state: TensorState): string | null {
  for (const [name, t] of Object.entries(state)) {
    if (t.dtype !== 'float32') continue;
    const v = t.dataSync();
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return name;
  }
  return null;
}

function modelPart(state: TensorState): TensorState {
  const out: TensorState = {};
  for (const [k, v] of Object.entries(state)) if (k.startsWith('model/')) out[k.slice(6)] = v;
  return out;
}

/** Asserts the preset of a stored run equals the requested one (structurally). */
function samePreset(a: Preset, b: Preset): boolean {
  return JSON.stringify(a.model) === JSON.stringify(b.model) && a.name === b.name;
}

export async function trainLoop(opts: TrainLoopOptions): Promise<TrainResult> {
  const progress = opts.progress ?? silentProgress;
  const release = await lockRun(opts.out, (m) => progress.info(m));
  try {
    if (!opts.resume) await claimFolder(opts.out, opts.overwrite ?? false);
    return await lockedTrainLoop(opts, progress);
  } finally {
    await release();
  }
}

/** Refuses a folder that holds a run, unless told to overwrite it. */
async function claimFolder(run: string, overwrite: boolean): Promise<void> {
  const found = await runContents(run);
  if (found.length === 0) return;
  if (!overwrite) {
    throw new SquidError(
      `${run} already holds a run (${found.join(', ')}): continue it with --resume, or start again with --overwrite (which deletes it)`,
    );
  }
  await clearRun(run);
}

async function lockedTrainLoop(opts: TrainLoopOptions, progress: ProgressReporter): Promise<TrainResult> {
  const run = opts.out;
  let preset = opts.preset;
  let seed = opts.seed;
  let config: RunConfig;
  if (opts.resume) {
    config = await readRunConfig(run);
    if (!samePreset(config.preset, preset)) {
      throw new SquidError(
        `${runPaths(run).config}: the run was made with preset "${config.preset.name}" and a different model configuration; ` +
          `resume it with the same preset (or start a new run in another folder)`,
      );
    }
    // The stored training settings win, except the epoch count (a run may be extended).
    preset = { ...config.preset, train: { ...config.preset.train, epochs: preset.train.epochs } };
    seed = config.seed;
    config = { ...config, preset };
  } else {
    config = {
      preset,
      seed,
      data: opts.dataLabel,
      val: opts.valLabel,
      createdAt: new Date().toISOString(),
      squidTsVersion: opts.version ?? '0.0.0',
    };
  }
  const t = preset.train;
  const selectBy = opts.selectBy ?? presetScore(preset);
  const batchSize = t.batchSize;
  const perEpoch = opts.source.batchesPerEpoch(batchSize);
  if (perEpoch < 1) {
    throw new SquidError(`the training data (${opts.source.description}) holds fewer images than one batch of ${batchSize}`);
  }
  if (opts.source.size !== preset.model.imageSize) {
    throw new SquidError(`training images are ${opts.source.size} px but preset "${preset.name}" expects ${preset.model.imageSize} px`);
  }

  const model = opts.createModel(preset, { seed });
  const opt = createOptimizers(model, preset);
  const rng = new Rng(seed);
  let epoch = 0;
  let inEpoch = 0;
  let iteration = 0;
  let bestValAuc: number | null = null;
  let bestEpoch: number | null = null;
  let sums: Record<string, number> = {};
  let counts: Record<string, number> = {};
  let epochSeconds = 0;
  let elapsedBefore = 0; // wall seconds of earlier processes of this run
  const processStart = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - processStart) / 1000;

  try {
    if (opts.resume) {
      const ck = await readCheckpoint(run);
      if (!ck) throw new SquidError(`${runPaths(run).checkpoint}: no checkpoint to resume from`);
      const bad = firstNonFinite(ck.state);
      if (bad) {
        disposeState(ck.state);
        throw new SquidError(`${runPaths(run).checkpoint}: "${bad}" holds NaN or infinite values; the checkpoint is damaged and cannot be resumed`);
      }
      try {
        model.setState(modelPart(ck.state));
        opt.g.setState('optimizer/generator/', ck.state, ck.info.optimizerSteps.generator);
        opt.d.setState('optimizer/discriminator/', ck.state, ck.info.optimizerSteps.discriminator);
      } catch (err) {
        throw new SquidError(
          `${runPaths(run).checkpoint} does not match preset "${preset.name}": ${err instanceof Error ? err.message : String(err)}`,
        );
      } finally {
        disposeState(ck.state);
      }
      const info = ck.info;
      rng.setState(info.rng);
      ({ epoch, iteration, bestValAuc, bestEpoch, epochSeconds } = info);
      elapsedBefore = info.elapsedSeconds ?? 0;
      inEpoch = info.iterationInEpoch;
      sums = { ...info.epochLossSums };
      counts = { ...info.epochLossCounts };
      await truncateLog(run, epoch);
      progress.info(`resuming ${run} at epoch ${epoch + 1}, iteration ${inEpoch} of ${perEpoch} (${iteration} done)`);
    }
    await writeRunConfig(run, config);
    progress.info(`training preset "${preset.name}" on ${opts.source.description}; ${perEpoch} iterations per epoch, ${t.epochs} epochs`);

    const checkpoint = async () => {
      const info: Omit<CheckpointJson, 'manifest' | 'format' | 'formatVersion'> = {
        presetName: preset.name,
        epoch,
        iterationInEpoch: inEpoch,
        iteration,
        rng: rng.getState(),
        optimizerSteps: { generator: opt.g.steps, discriminator: opt.d.steps },
        bestValAuc,
        bestEpoch,
        epochLossSums: sums,
        epochLossCounts: counts,
        epochSeconds,
        elapsedSeconds: elapsed(),
      };
      const { state, owned } = fullState(model, opt);
      try {
        await writeCheckpoint(run, info, state);
      } finally {
        disposeState(owned);
      }
    };

    const aug = { translate: t.augmentTranslate, scale: t.augmentScale };
    let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
    let processSeconds = 0;
    let processIters = 0;

    while (epoch < t.epochs) {
      const lrG = cosineLr(t.generatorLr, epoch, t.cosinePeriod, t.cosineMinFactor);
      opt.g.lr = lrG;
      opt.d.lr = t.discriminatorLr;
      progress.startEpoch(epoch, t.epochs, inEpoch, perEpoch);
      let stopNow = false;
      while (inEpoch < perEpoch) {
        // one macrotask turn per iteration: a pending SIGINT/SIGTERM handler runs
        // here (the GAN step itself is synchronous), so a stop takes one iteration
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.maxIters !== undefined && iteration >= opts.maxIters) {
          stopNow = true;
          break;
        }
        if (opts.maxMinutes !== undefined && elapsed() >= opts.maxMinutes * 60) {
          stopNow = true;
          stoppedBy = 'max-minutes';
          break;
        }
        if (opts.signal?.aborted) {
          stopNow = true;
          stoppedBy = 'interrupted';
          break;
        }
        const t0 = performance.now();
        const losses = await oneIteration(model, opt, opts.source, rng, aug, epoch, inEpoch, batchSize, t.nCritic, run, iteration);
        const dt = (performance.now() - t0) / 1000;
        epochSeconds += dt;
        processSeconds += dt;
        processIters++;
        for (const [k, v] of Object.entries(losses)) {
          sums[k] = (sums[k] ?? 0) + v;
          counts[k] = (counts[k] ?? 0) + 1;
        }
        inEpoch++;
        iteration++;
        progress.update(inEpoch, losses);
      }
      const partial = inEpoch < perEpoch;
      const means: Record<string, number> = {};
      for (const k of LOSS_KEYS) if (counts[k]) means[k] = (sums[k] as number) / (counts[k] as number);
      let valAuc: Partial<Record<ScoreKind, number>> | undefined;
      let valSpread: Partial<Record<ScoreKind, ClassSpread>> | undefined;
      // a signal stops at once: no validation, no best model (resume validates later)
      const interrupted = stoppedBy === 'interrupted';
      const valNow = !interrupted && (partial || stopNow || epoch + 1 >= t.epochs || (epoch + 1) % Math.max(1, opts.valEvery ?? 1) === 0);
      if (opts.val && inEpoch > 0 && valNow) {
        ({ auc: valAuc, spread: valSpread } = await validate(model, opts.val));
        const sel = valAuc[selectBy];
        if (sel !== undefined && (bestValAuc === null || sel > bestValAuc)) {
          bestValAuc = sel;
          bestEpoch = epoch;
          await saveModel(run, preset, model, {
            epoch: epoch + 1,
            iteration,
            valAuc: sel,
            selectBy,
            date: new Date().toISOString(),
          });
        }
      } else if (!opts.val && inEpoch > 0 && !interrupted) {
        bestEpoch = epoch;
        await saveModel(run, preset, model, {
          epoch: epoch + 1,
          iteration,
          valAuc: null,
          date: new Date().toISOString(),
        });
      }
      if (inEpoch > 0) {
        const entry: LogEntry = {
          epoch,
          iterations: iteration,
          losses: means,
          ...(valAuc ? { valAuc, valSpread } : {}),
          lr: { generator: lrG, discriminator: t.discriminatorLr },
          seconds: Math.round(epochSeconds * 1000) / 1000,
          elapsedSeconds: Math.round(elapsed() * 10) / 10,
          ...(partial ? { partial: true } : {}),
        };
        await appendLog(run, entry);
        const aucText = valAuc
          ? ' val AUC ' + SCORE_KINDS.map((k) => `${k} ${valAuc?.[k]?.toFixed(3) ?? 'n/a'}`).join(', ')
          : '';
        progress.endEpoch(
          `epoch ${epoch + 1}/${t.epochs}${partial ? ' (stopped early)' : ''}: ${formatLosses(means)}${aucText} (${epochSeconds.toFixed(1)} s)`,
        );
      }
      if (partial || stopNow) {
        await checkpoint();
        if (stoppedBy === 'epochs') stoppedBy = 'max-iters';
        break;
      }
      epoch++;
      inEpoch = 0;
      sums = {};
      counts = {};
      epochSeconds = 0;
      await checkpoint();
    }

    if (stoppedBy !== 'interrupted' && !(await modelDirExists(runPaths(run).best))) {
      // No epoch validated yet (e.g. --max-iters with --val-every): the current model is the best known.
      await saveModel(run, preset, model, { epoch: epoch + 1, iteration, valAuc: null, date: new Date().toISOString() });
    }
    const scoring =
      stoppedBy === 'interrupted' ? null : await finishScoring(run, opts, preset, createModelFrom(opts, preset, seed));
    return {
      run,
      epochs: epoch,
      iterations: iteration,
      stoppedBy,
      bestEpoch,
      bestValAuc,
      selectBy,
      secondsPerIteration: processIters > 0 ? processSeconds / processIters : 0,
      scoring,
    };
  } finally {
    opt.g.dispose();
    opt.d.dispose();
    model.dispose();
  }
}

function createModelFrom(opts: TrainLoopOptions, preset: Preset, seed: number): () => SquidModel {
  return () => opts.createModel(preset, { seed });
}

/** Score statistics and thresholds of the best model, written to RUN/scoring.json. */
async function finishScoring(
  run: string,
  opts: TrainLoopOptions,
  preset: Preset,
  make: () => SquidModel,
): Promise<ScoringJson> {
  const best = await readModelDir(runPaths(run).best);
  const model = make();
  try {
    model.setState(best.state);
  } finally {
    disposeState(best.state);
  }
  try {
    const train = opts.source.sample(opts.statsImages ?? 200);
    const scoring = await computeScoring(model, train, preset.model.imageSize, opts.val);
    await writeScoring(run, scoring);
    return scoring;
  } finally {
    model.dispose();
  }
}

/** One training iteration; returns its loss values (throws on a non-finite one). */
async function oneIteration(
  model: SquidModel,
  opt: OptimizerPair,
  source: BatchSource,
  rng: Rng,
  aug: { translate: number; scale: [number, number] },
  epoch: number,
  b: number,
  batchSize: number,
  nCritic: number,
  run: string,
  iteration: number,
): Promise<Record<string, number>> {
  const size = source.size;
  const pixels = augment({ x: source.batch(epoch, b, batchSize), paths: [], size }, rng, aug).x;
  const x = tf.tensor4d(pixels, [batchSize, size, size, 1]);
  const losses: Record<string, number> = {};
  try {
    await ganStep(model, opt, x, rng, b % nCritic === 0, (name, v) => {
      if (!Number.isFinite(v)) throw new NonFiniteLossError(name, v, epoch, iteration, run);
      losses[name] = v;
    });
  } finally {
    x.dispose();
  }
  return losses;
}

