/**
 * The SQUID training loop of the reference: per iteration one discriminator
 * step; every n_critic-th iteration (of the epoch) one generator step, then
 * the memory-queue writes. Adam (torch semantics, generator weight decay),
 * cosine learning rate stepped per epoch, random-affine augmentation,
 * validation AUC per epoch with the best model kept, an atomic checkpoint
 * every epoch (and when --max-iters stops the run) that --resume continues
 * exactly, and score statistics at the end.
 * Phases: lock the folder; start or resume (runStart.ts: claimFolder, or
 * runConfigFor, the one resume check; trainState.ts); per epoch trainEpoch
 * then endEpoch (validate, keep the best, log, checkpoint); close (best
 * model, scoring.json: runOutputs.ts).
 * The loop's state is one object (TrainState), the checkpoint's shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isCombinedKind, isOptionalKind, optionalKindNeeds, presetScore, scoreKindsOf, type Preset } from '../../core/squid/presets.js';
import type { SquidModel } from '../../core/model/types.js';
import { Rng } from '../../core/util/rng.js';
import { SquidError } from '../../core/util/errors.js';
import { cosineLr } from './adam.js';
import { createOptimizers, ganStep, type OptimizerPair } from './ganStep.js';
import { augment } from '../data/augment.js';
import type { BatchSource } from './sources.js';
import { silentProgress, formatLosses, type ProgressReporter, type RunLeft } from './progress.js';
import {
  appendLog,
  modelDirExists,
  runPaths,
  truncateLog,
  writeRunConfig,
  type LogEntry,
  type ScoringJson,
} from '../io/runDir.js';
import { lockRun } from '../io/runLock.js';
import { claimFolder, runConfigFor } from './runStart.js';
import { finishScoring, saveModel } from './runOutputs.js';
import { refreshPatchMemory } from './patchMemory.js';
import { freshState, loadCheckpoint, nextEpoch, saveCheckpoint, type TrainState } from './trainState.js';
import type { ScoreKind } from '../../core/score/scorer.js';
import { validate, type ClassSpread, type LabelledPixels } from '../score/statistics.js';
import { withInference } from '../../core/tactics/compile.js';

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

const LOSS_KEYS = ['discriminator', 'generator', 'reconstruction', 'teacher', 'distillation', 'position', 'adversarial'] as const;

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

export async function trainLoop(opts: TrainLoopOptions): Promise<TrainResult> {
  const progress = opts.progress ?? silentProgress;
  const release = await lockRun(opts.out, (m) => progress.info(m));
  try {
    if (!opts.resume) await claimFolder(opts.out, opts.overwrite ?? false);
    return await lockedTrainLoop(opts, progress);
  } finally {
    progress.done();
    await release();
  }
}

/** Everything one training process works with; `s` is what a checkpoint saves. */
interface Ctx {
  run: string;
  opts: TrainLoopOptions;
  progress: ProgressReporter;
  preset: Preset;
  seed: number;
  selectBy: ScoreKind;
  perEpoch: number;
  model: SquidModel;
  opt: OptimizerPair;
  rng: Rng;
  s: TrainState;
  /** Wall seconds of the run so far (earlier processes included). */
  elapsed: () => number;
  /** Training seconds and iterations of this process. */
  processSeconds: number;
  processIters: number;
}

async function lockedTrainLoop(opts: TrainLoopOptions, progress: ProgressReporter): Promise<TrainResult> {
  const { config, preset, seed } = await runConfigFor(opts);
  const perEpoch = opts.source.batchesPerEpoch(preset.train.batchSize);
  checkData(opts.source, preset, perEpoch);
  const model = opts.createModel(preset, { seed });
  const opt = createOptimizers(model, preset);
  const processStart = performance.now();
  const c: Ctx = {
    run: opts.out,
    opts,
    progress,
    preset,
    seed,
    selectBy: checkSelectBy(opts.selectBy ?? presetScore(preset), preset),
    perEpoch,
    model,
    opt,
    rng: new Rng(seed),
    s: freshState(),
    elapsed: () => c.s.elapsedBefore + (performance.now() - processStart) / 1000,
    processSeconds: 0,
    processIters: 0,
  };
  try {
    if (opts.resume) {
      c.s = await loadCheckpoint(c.run, preset.name, c.rng, model, opt);
      await truncateLog(c.run, c.s.epoch);
      progress.info(`resuming ${c.run} at epoch ${c.s.epoch + 1}, iteration ${c.s.inEpoch} of ${perEpoch} (${c.s.iteration} done)`);
    }
    await writeRunConfig(c.run, config);
    progress.info(`training preset "${preset.name}" on ${opts.source.description}; ${perEpoch} iterations per epoch, ${preset.train.epochs} epochs`);
    let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
    while (c.s.epoch < preset.train.epochs) {
      const stop = await trainEpoch(c);
      await endEpoch(c, stop);
      if (stop) {
        stoppedBy = stop;
        break;
      }
      nextEpoch(c.s);
      await checkpoint(c);
    }
    return await close(c, stoppedBy);
  } finally {
    opt.g.dispose();
    opt.d.dispose();
    model.dispose();
  }
}

function checkSelectBy(kind: ScoreKind, preset: Preset): ScoreKind {
  if (!scoreKindsOf(preset.model).includes(kind)) {
    const needs = isOptionalKind(kind) ? ` (it needs ${optionalKindNeeds(preset.model, kind)})` : '';
    throw new SquidError(`preset "${preset.name}" has no "${kind}" score${needs}`);
  }
  return kind;
}

function checkData(source: BatchSource, preset: Preset, perEpoch: number): void {
  if (perEpoch < 1) {
    throw new SquidError(`the training data (${source.description}) holds fewer images than one batch of ${preset.train.batchSize}`);
  }
  if (source.size !== preset.model.imageSize) {
    throw new SquidError(`training images are ${source.size} px but preset "${preset.name}" expects ${preset.model.imageSize} px`);
  }
}

function checkpoint(c: Ctx): Promise<void> {
  return saveCheckpoint(c.run, c.preset.name, c.s, c.elapsed(), c.rng, c.model, c.opt);
}

/** Why the loop stops before this iteration, or null to go on. */
function stopReason(c: Ctx): TrainResult['stoppedBy'] | null {
  const o = c.opts;
  if (o.maxIters !== undefined && c.s.iteration >= o.maxIters) return 'max-iters';
  if (o.maxMinutes !== undefined && c.elapsed() >= o.maxMinutes * 60) return 'max-minutes';
  if (o.signal?.aborted) return 'interrupted';
  return null;
}

/** What is left of the run: iterations to the schedule's end or --max-iters, seconds to --max-minutes. */
function runLeft(c: Ctx): RunLeft {
  const o = c.opts;
  const schedule = (c.preset.train.epochs - c.s.epoch) * c.perEpoch - c.s.inEpoch;
  const iterations = o.maxIters === undefined ? schedule : Math.min(schedule, o.maxIters - c.s.iteration);
  return o.maxMinutes === undefined ? { iterations } : { iterations, seconds: o.maxMinutes * 60 - c.elapsed() };
}

/** Trains the rest of the current epoch; returns why it stopped early, or null when the epoch is done. */
async function trainEpoch(c: Ctx): Promise<TrainResult['stoppedBy'] | null> {
  const t = c.preset.train;
  c.opt.g.lr = cosineLr(t.generatorLr, c.s.epoch, t.cosinePeriod, t.cosineMinFactor);
  c.opt.d.lr = t.discriminatorLr;
  const aug = { translate: t.augmentTranslate, scale: t.augmentScale };
  let started = false;
  while (c.s.inEpoch < c.perEpoch) {
    // one macrotask turn per iteration: a pending SIGINT/SIGTERM handler runs
    // here (the GAN step itself is synchronous), so a stop takes one iteration
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stop = stopReason(c);
    if (stop) return stop;
    if (!started) c.progress.startEpoch(c.s.epoch, t.epochs, c.s.inEpoch, c.perEpoch, runLeft(c)); // no bar for an epoch that never runs
    started = true;
    const t0 = performance.now();
    const losses = await oneIteration(c, aug);
    const dt = (performance.now() - t0) / 1000;
    c.s.epochSeconds += dt;
    c.processSeconds += dt;
    c.processIters++;
    for (const [k, v] of Object.entries(losses)) {
      c.s.sums[k] = (c.s.sums[k] ?? 0) + v;
      c.s.counts[k] = (c.s.counts[k] ?? 0) + 1;
    }
    c.s.inEpoch++;
    c.s.iteration++;
    c.progress.update(c.s.inEpoch, losses);
  }
  return null;
}

/**
 * The end of an epoch (or of a stopped part of one): validate and keep the
 * best model, log, and checkpoint a stop. A signal skips validation: it
 * stops at once (resume validates later).
 */
async function endEpoch(c: Ctx, stop: TrainResult['stoppedBy'] | null): Promise<void> {
  const { s, preset, opts } = c;
  if (s.inEpoch === 0) {
    if (stop) await checkpoint(c);
    return;
  }
  const partial = s.inEpoch < c.perEpoch;
  const interrupted = stop === 'interrupted';
  const last = s.epoch + 1 >= preset.train.epochs;
  const valNow = !interrupted && (stop !== null || last || (s.epoch + 1) % Math.max(1, opts.valEvery ?? 1) === 0);
  let val: { auc: Partial<Record<ScoreKind, number>>; spread: Partial<Record<ScoreKind, ClassSpread>> } | undefined;
  if (opts.val && valNow) {
    const valSet = opts.val;
    val = await withInference(c.model, () => {
      if (preset.model.patchMemory) c.progress.info(`filling the patch memory from ${preset.model.patchMemory.slots} training images...`);
      refreshPatchMemory(c.model, opts.source, opts.statsImages);
      // combined kinds standardize their parts on training images, the ones the final statistics use
      const reference = c.model.scoreKinds.some(isCombinedKind) ? opts.source.sample(opts.statsImages ?? 200) : undefined;
      return validate(c.model, valSet, reference, c.progress.tasks);
    });
    const sel = val.auc[c.selectBy];
    if (sel !== undefined && (s.bestValAuc === null || sel > s.bestValAuc)) {
      s.bestValAuc = sel;
      s.bestEpoch = s.epoch;
      await saveModel(c.run, preset, c.model, { epoch: s.epoch + 1, iteration: s.iteration, valAuc: sel, selectBy: c.selectBy, date: new Date().toISOString() });
    }
  } else if (!opts.val && !interrupted) {
    s.bestEpoch = s.epoch;
    await saveModel(c.run, preset, c.model, { epoch: s.epoch + 1, iteration: s.iteration, valAuc: null, date: new Date().toISOString() });
  }
  await logEpoch(c, partial, val);
  if (stop) await checkpoint(c);
}

async function logEpoch(
  c: Ctx,
  partial: boolean,
  val: { auc: Partial<Record<ScoreKind, number>>; spread: Partial<Record<ScoreKind, ClassSpread>> } | undefined,
): Promise<void> {
  const { s, preset } = c;
  const means: Record<string, number> = {};
  for (const k of LOSS_KEYS) if (s.counts[k]) means[k] = (s.sums[k] as number) / (s.counts[k] as number);
  const entry: LogEntry = {
    epoch: s.epoch,
    iterations: s.iteration,
    losses: means,
    ...(val ? { valAuc: val.auc, valSpread: val.spread } : {}),
    lr: { generator: c.opt.g.lr, discriminator: c.opt.d.lr }, // as trainEpoch set them
    seconds: Math.round(s.epochSeconds * 1000) / 1000,
    elapsedSeconds: Math.round(c.elapsed() * 10) / 10,
    ...(partial ? { partial: true } : {}),
  };
  await appendLog(c.run, entry);
  const aucText = val ? ' val AUC ' + c.model.scoreKinds.map((k) => `${k} ${val.auc[k]?.toFixed(3) ?? 'n/a'}`).join(', ') : '';
  c.progress.endEpoch(
    `epoch ${s.epoch + 1}/${preset.train.epochs}${partial ? ' (stopped early)' : ''}: ${formatLosses(means)}${aucText} (${s.epochSeconds.toFixed(1)} s)`,
  );
}

/** The end of the run: a best model in any case, and the score statistics unless interrupted. */
async function close(c: Ctx, stoppedBy: TrainResult['stoppedBy']): Promise<TrainResult> {
  const { s, preset, run } = c;
  if (stoppedBy !== 'interrupted' && !(await modelDirExists(runPaths(run).best))) {
    // No epoch validated yet (e.g. --max-iters with --val-every): the current model is the best known.
    await saveModel(run, preset, c.model, { epoch: s.epoch + 1, iteration: s.iteration, valAuc: null, date: new Date().toISOString() });
  }
  const scoring = stoppedBy === 'interrupted' ? null : await finishScoring(run, c.opts, preset, () => c.opts.createModel(preset, { seed: c.seed }), c.progress.tasks);
  return {
    run,
    epochs: s.epoch,
    iterations: s.iteration,
    stoppedBy,
    bestEpoch: s.bestEpoch,
    bestValAuc: s.bestValAuc,
    selectBy: c.selectBy,
    secondsPerIteration: c.processIters > 0 ? c.processSeconds / c.processIters : 0,
    scoring,
  };
}

/** One training iteration; returns its loss values (throws on a non-finite one). */
async function oneIteration(c: Ctx, aug: { translate: number; scale: [number, number] }): Promise<Record<string, number>> {
  const { s, opts, preset } = c;
  const size = opts.source.size;
  const batchSize = preset.train.batchSize;
  const pixels = augment({ x: opts.source.batch(s.epoch, s.inEpoch, batchSize), paths: [], size }, c.rng, aug).x;
  const x = tf.tensor4d(pixels, [batchSize, size, size, 1]);
  const losses: Record<string, number> = {};
  try {
    await ganStep(c.model, c.opt, x, c.rng, s.inEpoch % preset.train.nCritic === 0, (name, v) => {
      if (!Number.isFinite(v)) throw new NonFiniteLossError(name, v, s.epoch, s.iteration, c.run);
      losses[name] = v;
    });
  } finally {
    x.dispose();
  }
  return losses;
}
