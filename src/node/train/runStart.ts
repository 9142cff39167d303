/**
 * Starting or resuming a run: the folder is claimed for a new run (never
 * overwritten by accident), or the stored configuration is read back and
 * checked against the one asked for (the one resume check, shared by the
 * CLI and trainLoop).
 */
import type { Preset } from '../../core/squid/presets.js';
import { SquidError } from '../../core/util/errors.js';
import { clearRun, readRunConfig, runContents, runPaths, type RunConfig } from '../io/runDir.js';
import type { TrainLoopOptions } from './trainer.js';

/** Refuses a folder that holds a run, unless told to overwrite it. */
export async function claimFolder(run: string, overwrite: boolean): Promise<void> {
  const found = await runContents(run);
  if (found.length === 0) return;
  if (!overwrite) {
    throw new SquidError(
      `${run} already holds a run (${found.join(', ')}): continue it with --resume, or start again with --overwrite (which deletes it)`,
    );
  }
  await clearRun(run);
}

/** Throws unless a run made with `stored` can continue as `asked` (same preset, model and batch size). */
export function checkResumable(run: string, stored: Preset, asked: Preset): void {
  if (JSON.stringify(stored.model) !== JSON.stringify(asked.model) || stored.name !== asked.name) {
    throw new SquidError(
      `${runPaths(run).config}: the run was made with preset "${stored.name}" and a different model configuration; ` +
        `resume it with the same preset (or start a new run in another folder)`,
    );
  }
  if (stored.train.batchSize !== asked.train.batchSize) {
    throw new SquidError(`${runPaths(run).config}: the run uses batch size ${stored.train.batchSize}; a resumed run cannot change it`);
  }
}

/** The run's configuration: a new one, or the stored one when resuming (one compatibility check). */
export async function runConfigFor(opts: TrainLoopOptions): Promise<{ config: RunConfig; preset: Preset; seed: number }> {
  if (!opts.resume) {
    const config: RunConfig = {
      preset: opts.preset,
      seed: opts.seed,
      data: opts.dataLabel,
      val: opts.valLabel,
      createdAt: new Date().toISOString(),
      squidTsVersion: opts.version ?? '0.0.0',
    };
    return { config, preset: opts.preset, seed: opts.seed };
  }
  const stored = await readRunConfig(opts.out);
  const asked = opts.preset;
  checkResumable(opts.out, stored.preset, asked);
  // The stored training settings win, except the epoch count (a run may be extended).
  const preset = { ...stored.preset, train: { ...stored.preset.train, epochs: asked.train.epochs } };
  return { config: { ...stored, preset }, preset, seed: stored.seed };
}
