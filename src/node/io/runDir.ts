/**
 * A training run's directory on disk (Node only):
 *   RUN/config.json    RunConfig
 *   RUN/log.jsonl      one LogEntry per epoch
 *   RUN/checkpoint/    state.json + state.bin: everything to resume
 *   RUN/best/          model.json + weights.bin: the best-validation model
 *   RUN/scoring.json   ScoringJson: score statistics and thresholds
 * Folders are replaced atomically (atomicFiles.ts): written to a temporary folder inside RUN,
 * fsynced, then renamed into place.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { isOptionalKind, type Preset } from '../../core/squid/presets.js';
import type { RngState } from '../../core/util/rng.js';
import { InputError } from '../../core/util/errors.js';
import { existingDir, exists, oldCopyOf, recoverDir, replaceDirAtomic, writeFileSynced, writeJsonAtomic } from './atomicFiles.js';
export { replaceDirAtomic, writeJsonAtomic };
import {
  buildModelJson,
  checkSha256,
  decodeModel,
  sha256Hex,
  decodeState,
  disposeState,
  encodeState,
  parseModelJson,
  WEIGHTS_FILE,
  type ModelJson,
  type TensorState,
} from '../../core/io/modelState.js';

export interface RunConfig {
  preset: Preset;
  seed: number;
  /** Training data: a folder path or "digitanatomy". */
  data: string;
  /** Validation data: a folder path, "digitanatomy", or null. */
  val: string | null;
  createdAt: string;
  squidTsVersion: string;
}

import { SCORE_KINDS, type ScoreKind } from '../../core/score/scorer.js';
import type { ClassSpread } from '../score/statistics.js';
export { SCORE_KINDS, type ScoreKind };

export interface LogEntry {
  epoch: number;
  /** Iterations done in total at the end of this epoch. */
  iterations: number;
  /** Mean of each loss over the epoch's steps. */
  losses: Record<string, number>;
  /** Validation AUC per score kind (absent without --val). */
  valAuc?: Partial<Record<ScoreKind, number>>;
  /** Mean and standard deviation of each raw score over the normal and the abnormal validation images. */
  valSpread?: Partial<Record<ScoreKind, ClassSpread>>;
  lr: { generator: number; discriminator: number };
  seconds: number;
  /** Wall seconds since the run started (summed over resumed processes), validation included. */
  elapsedSeconds?: number;
  /** True when this epoch stopped early (--max-iters, --max-minutes, a signal). */
  partial?: boolean;
}

export interface CheckpointJson {
  format: 'squid-ts-checkpoint';
  formatVersion: 1;
  presetName: string;
  /** Epoch in progress (0-based) and how many of its iterations are done. */
  epoch: number;
  iterationInEpoch: number;
  /** Iterations done in total. */
  iteration: number;
  rng: RngState;
  optimizerSteps: { generator: number; discriminator: number };
  bestValAuc: number | null;
  bestEpoch: number | null;
  /** Running sums of the epoch in progress (to log exact means after resume). */
  epochLossSums: Record<string, number>;
  epochLossCounts: Record<string, number>;
  epochSeconds: number;
  /** Wall seconds the run has taken so far (absent in checkpoints written before it was recorded). */
  elapsedSeconds?: number;
  manifest: tf.io.WeightsManifestEntry[];
  /** SHA-256 of state.bin, hex (absent in checkpoints written before it was recorded). */
  stateSha256?: string;
}

export type { ScoreStats, ScoringJson } from '../../core/score/stats.js';
import type { ScoringJson } from '../../core/score/stats.js';

export const runPaths = (run: string) => ({
  config: path.join(run, 'config.json'),
  log: path.join(run, 'log.jsonl'),
  checkpoint: path.join(run, 'checkpoint'),
  best: path.join(run, 'best'),
  scoring: path.join(run, 'scoring.json'),
});

/** The files and folders of a run (and a crash's .old copies), in one list. */
function runFiles(run: string): string[] {
  const p = runPaths(run);
  return [p.config, p.log, p.checkpoint, oldCopyOf(p.checkpoint), p.best, oldCopyOf(p.best), p.scoring];
}

/** What a run folder holds of a run (empty: no run there yet). */
export async function runContents(run: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of runFiles(run)) if (await exists(f)) found.push(path.basename(f));
  return found;
}

/** Deletes a run's files (for --overwrite); other files in the folder stay. */
export async function clearRun(run: string): Promise<void> {
  for (const f of runFiles(run)) await fs.rm(f, { recursive: true, force: true });
  const p = runPaths(run);
  for (const d of [p.checkpoint, p.best]) await recoverDir(d); // removes temporary folders
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(file, code === 'ENOENT' ? 'not found' : `cannot read (${code ?? String(err)})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Decodes (which checks the size first), then checks the checksum; nothing is kept on a mismatch. */
async function decodeChecked(bytes: ArrayBuffer, sha256: string | undefined, decode: (b: ArrayBuffer) => TensorState): Promise<TensorState> {
  const state = decode(bytes);
  try {
    await checkSha256(bytes, sha256);
  } catch (err) {
    disposeState(state);
    throw err;
  }
  return state;
}

function asArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export async function writeRunConfig(run: string, config: RunConfig): Promise<void> {
  await fs.mkdir(run, { recursive: true });
  await writeJsonAtomic(runPaths(run).config, config);
}

export async function readRunConfig(run: string): Promise<RunConfig> {
  const doc = (await readJson(runPaths(run).config)) as Partial<RunConfig>;
  if (!doc || typeof doc !== 'object' || !doc.preset || typeof doc.seed !== 'number') {
    throw new InputError(runPaths(run).config, 'not a squid-ts run configuration (needs preset and seed)');
  }
  return doc as RunConfig;
}

export async function appendLog(run: string, entry: LogEntry): Promise<void> {
  await fs.mkdir(run, { recursive: true });
  const fh = await fs.open(runPaths(run).log, 'a');
  try {
    await fh.writeFile(JSON.stringify(entry) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The run's log entries. A last line cut off by a crash (an append that did
 * not finish) is skipped with a warning; a broken line elsewhere is an error.
 */
export async function readLog(run: string, warn: (message: string) => void = defaultWarn): Promise<LogEntry[]> {
  const file = runPaths(run).log;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const out: LogEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!last) throw new InputError(file, `line ${i + 1} is not valid JSON`);
      warn(`${file}: line ${i + 1} was cut off (an interrupted write); it is skipped`);
    }
  });
  return out;
}

function defaultWarn(message: string): void {
  process.stderr.write(`squid: warning: ${message}\n`);
}

/** Drops log lines of epochs at or after `epoch` (used when resuming). */
export async function truncateLog(run: string, epoch: number): Promise<void> {
  const kept = (await readLog(run)).filter((e) => e.epoch < epoch);
  const text = kept.map((e) => JSON.stringify(e) + '\n').join('');
  const file = runPaths(run).log;
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFileSynced(tmp, text);
  await fs.rename(tmp, file);
}

export async function writeCheckpoint(
  run: string,
  info: Omit<CheckpointJson, 'manifest' | 'format' | 'formatVersion'>,
  state: TensorState,
): Promise<void> {
  const { specs, data } = await encodeState(state);
  const json: CheckpointJson = {
    format: 'squid-ts-checkpoint',
    formatVersion: 1,
    ...info,
    manifest: specs,
    stateSha256: await sha256Hex(data),
  };
  await replaceDirAtomic(runPaths(run).checkpoint, {
    'state.json': JSON.stringify(json, null, 1) + '\n',
    'state.bin': new Uint8Array(data),
  });
}

export async function readCheckpoint(run: string): Promise<{ info: CheckpointJson; state: TensorState } | null> {
  const dir = await existingDir(runPaths(run).checkpoint);
  if (!dir) return null;
  const file = path.join(dir, 'state.json');
  const info = (await readJson(file)) as CheckpointJson;
  if (info?.format !== 'squid-ts-checkpoint' || info.formatVersion !== 1) {
    throw new InputError(file, 'not a squid-ts checkpoint (format/version)');
  }
  const bin = path.join(dir, 'state.bin');
  let data: Buffer;
  try {
    data = await fs.readFile(bin);
  } catch {
    throw new InputError(bin, 'missing');
  }
  checkCheckpointInfo(info, file);
  try {
    return { info, state: await decodeChecked(asArrayBuffer(data), info.stateSha256, (b) => decodeState(info.manifest, b)) };
  } catch (err) {
    throw new InputError(bin, err instanceof Error ? err.message : String(err));
  }
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Throws (naming the field) when a checkpoint's bookkeeping is malformed. */
function checkCheckpointInfo(info: CheckpointJson, file: string): void {
  const bad = (field: string): never => {
    throw new InputError(file, `malformed field "${field}"`);
  };
  for (const k of ['epoch', 'iterationInEpoch', 'iteration'] as const) if (!isCount(info[k])) bad(k);
  if (!info.optimizerSteps || !isCount(info.optimizerSteps.generator) || !isCount(info.optimizerSteps.discriminator)) bad('optimizerSteps');
  if (!Array.isArray(info.rng) || info.rng.length !== 4 || !info.rng.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32)) bad('rng');
  if (!Array.isArray(info.manifest)) bad('manifest');
  if (info.bestValAuc !== null && typeof info.bestValAuc !== 'number') bad('bestValAuc');
  if (info.bestEpoch !== null && !isCount(info.bestEpoch)) bad('bestEpoch');
  if (typeof info.epochLossSums !== 'object' || typeof info.epochLossCounts !== 'object') bad('epochLossSums');
}

/** Whether a model folder (or its crash leftover) holds a model.json. */
export async function modelDirExists(dir: string): Promise<boolean> {
  const found = await existingDir(dir);
  if (!found) return false;
  try {
    await fs.access(path.join(found, 'model.json'));
    return true;
  } catch {
    return false;
  }
}

/** Writes a model folder (model.json + weights.bin) atomically. */
export async function writeModelDir(
  dir: string,
  preset: Preset,
  state: TensorState,
  meta?: Record<string, string | number | null>,
): Promise<void> {
  const { specs, data } = await encodeState(state);
  const json = buildModelJson(preset, specs, meta, await sha256Hex(data));
  await replaceDirAtomic(dir, {
    'model.json': JSON.stringify(json, null, 1) + '\n',
    [WEIGHTS_FILE]: new Uint8Array(data),
  });
}

export async function readModelDir(dir: string): Promise<{ json: ModelJson; state: TensorState }> {
  const found = (await existingDir(dir)) ?? dir;
  const file = path.join(found, 'model.json');
  let json: ModelJson;
  try {
    json = parseModelJson(await readJson(file), file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(file, err instanceof Error ? err.message.replace(`${file}: `, '') : String(err));
  }
  const bin = path.join(found, json.weightsManifest[0]?.paths[0] ?? WEIGHTS_FILE);
  let data: Buffer;
  try {
    data = await fs.readFile(bin);
  } catch {
    throw new InputError(bin, 'missing');
  }
  try {
    return { json, state: await decodeChecked(asArrayBuffer(data), json.weightsSha256, (b) => decodeModel(json, b)) };
  } catch (err) {
    throw new InputError(bin, err instanceof Error ? err.message : String(err));
  }
}

export async function writeScoring(run: string, scoring: ScoringJson): Promise<void> {
  await writeJsonAtomic(runPaths(run).scoring, scoring);
}

export async function readScoring(run: string): Promise<ScoringJson> {
  const file = runPaths(run).scoring;
  const doc = (await readJson(file)) as Partial<ScoringJson>;
  for (const k of SCORE_KINDS) {
    const s = doc?.[k];
    if (isOptionalKind(k) && s === undefined) continue; // only models that have the kind
    if (!s || typeof s.mean !== 'number' || typeof s.std !== 'number' || typeof s.threshold !== 'number') {
      throw new InputError(file, `missing or malformed "${k}" statistics`);
    }
  }
  return doc as ScoringJson;
}
