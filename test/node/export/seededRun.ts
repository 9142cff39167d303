/** A finished run folder holding a seeded (untrained) model: config.json, best/ and scoring.json, for the export tests. */
import type * as tf from '@tensorflow/tfjs-core';
import { createSquid } from '../../../src/core/model/squid.js';
import type { Preset } from '../../../src/core/squid/presets.js';
import { runPaths, writeModelDir, writeRunConfig, writeScoring, type ScoringJson } from '../../../src/node/io/runDir.js';

/** Writes the run; returns the model's state (the caller disposes it). */
export async function writeSeededRun(dir: string, preset: Preset, scoring: ScoringJson): Promise<Record<string, tf.Tensor>> {
  const model = createSquid(preset, { seed: 9 });
  const state = model.getState();
  model.dispose();
  await writeRunConfig(dir, { preset, seed: 9, data: 'digitanatomy', val: null, createdAt: scoring.date, squidTsVersion: 'test' });
  await writeModelDir(runPaths(dir).best, preset, state);
  await writeScoring(dir, scoring);
  return state;
}
