/**
 * The training loop's state in one object: what a checkpoint holds besides
 * the tensors, and its conversions to and from the checkpoint (Node only).
 */
import { PATCH_MEMORY_NAME } from '../../core/squid/squid.js';
import type { SquidModel } from '../../core/model/types.js';
import type { Rng } from '../../core/util/rng.js';
import { SquidError } from '../../core/util/errors.js';
import { disposeState, type TensorState } from '../../core/io/modelState.js';
import { readCheckpoint, runPaths, writeCheckpoint, type CheckpointJson } from '../io/runDir.js';
import type { OptimizerPair } from './ganStep.js';

export interface TrainState {
  /** Epoch in progress (0-based) and iterations done in it. */
  epoch: number;
  inEpoch: number;
  /** Iterations done in total. */
  iteration: number;
  bestValAuc: number | null;
  bestEpoch: number | null;
  /** Running loss sums and counts of the epoch in progress. */
  sums: Record<string, number>;
  counts: Record<string, number>;
  /** Training seconds of the epoch in progress. */
  epochSeconds: number;
  /** Wall seconds of earlier processes of this run. */
  elapsedBefore: number;
}

export function freshState(): TrainState {
  return { epoch: 0, inEpoch: 0, iteration: 0, bestValAuc: null, bestEpoch: null, sums: {}, counts: {}, epochSeconds: 0, elapsedBefore: 0 };
}

/** Starts the next epoch's bookkeeping. */
export function nextEpoch(s: TrainState): void {
  s.epoch++;
  s.inEpoch = 0;
  s.sums = {};
  s.counts = {};
  s.epochSeconds = 0;
}

/**
 * Model state (fresh copies: `owned`, for the caller to dispose) plus
 * optimizer moments (references). The patch memory is left out: it is
 * refilled before every validation, and the best model keeps its own.
 */
function fullState(model: SquidModel, opt: OptimizerPair): { state: TensorState; owned: TensorState } {
  const owned = model.getState();
  for (const k of Object.keys(owned)) {
    if (!k.startsWith(`${PATCH_MEMORY_NAME}/`)) continue;
    owned[k]?.dispose();
    delete owned[k];
  }
  const state: TensorState = {};
  for (const [k, v] of Object.entries(owned)) state[`model/${k}`] = v;
  Object.assign(state, opt.g.getState('optimizer/generator/'), opt.d.getState('optimizer/discriminator/'));
  return { state, owned };
}

function modelPart(state: TensorState): TensorState {
  const out: TensorState = {};
  for (const [k, v] of Object.entries(state)) if (k.startsWith('model/')) out[k.slice(6)] = v;
  return out;
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

/** Writes RUN/checkpoint: the state, the rng, the model and the optimizers. */
export async function saveCheckpoint(
  run: string,
  presetName: string,
  s: TrainState,
  elapsedSeconds: number,
  rng: Rng,
  model: SquidModel,
  opt: OptimizerPair,
): Promise<void> {
  const info: Omit<CheckpointJson, 'manifest' | 'format' | 'formatVersion'> = {
    presetName,
    epoch: s.epoch,
    iterationInEpoch: s.inEpoch,
    iteration: s.iteration,
    rng: rng.getState(),
    optimizerSteps: { generator: opt.g.steps, discriminator: opt.d.steps },
    bestValAuc: s.bestValAuc,
    bestEpoch: s.bestEpoch,
    epochLossSums: s.sums,
    epochLossCounts: s.counts,
    epochSeconds: s.epochSeconds,
    elapsedSeconds,
  };
  const { state, owned } = fullState(model, opt);
  try {
    await writeCheckpoint(run, info, state);
  } finally {
    disposeState(owned);
  }
}

/** Reads RUN/checkpoint into the model, the optimizers and the rng; returns the loop's state. */
export async function loadCheckpoint(run: string, presetName: string, rng: Rng, model: SquidModel, opt: OptimizerPair): Promise<TrainState> {
  const ck = await readCheckpoint(run);
  if (!ck) throw new SquidError(`${runPaths(run).checkpoint}: no checkpoint to resume from`);
  try {
    const bad = firstNonFinite(ck.state);
    if (bad) throw new SquidError(`${runPaths(run).checkpoint}: "${bad}" holds NaN or infinite values; the checkpoint is damaged and cannot be resumed`);
    try {
      model.setState(modelPart(ck.state));
      opt.g.setState('optimizer/generator/', ck.state, ck.info.optimizerSteps.generator);
      opt.d.setState('optimizer/discriminator/', ck.state, ck.info.optimizerSteps.discriminator);
    } catch (err) {
      throw new SquidError(`${runPaths(run).checkpoint} does not match preset "${presetName}": ${err instanceof Error ? err.message : String(err)}`);
    }
  } finally {
    disposeState(ck.state);
  }
  const i = ck.info;
  rng.setState(i.rng);
  return {
    epoch: i.epoch,
    inEpoch: i.iterationInEpoch,
    iteration: i.iteration,
    bestValAuc: i.bestValAuc,
    bestEpoch: i.bestEpoch,
    sums: { ...i.epochLossSums },
    counts: { ...i.epochLossCounts },
    epochSeconds: i.epochSeconds,
    elapsedBefore: i.elapsedSeconds ?? 0,
  };
}
