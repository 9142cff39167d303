/**
 * `squid export`: turns a training run folder into a browser-ready export.
 * Reads RUN/best (model.json + weights), RUN/config.json and
 * RUN/scoring.json (src/node/io/runDir.ts), checks the weights restore into the
 * preset's model, and writes the export (writeExport.ts). The ONNX export
 * (onnx/exportOnnx.ts) reads the run the same way (readRun, restoreModel).
 * Node only.
 */
import { join } from 'node:path';
import { disposeState, type ModelJson, type TensorState } from '../../core/io/modelState.js';
import { readModelDir, readRunConfig, readScoring, runPaths, type RunConfig } from '../io/runDir.js';
import { InputError } from '../../core/util/errors.js';
import { presetScore } from '../../core/squid/presets.js';
import { MODEL_JSON, type ModelFactory } from '../../core/export/loadExport.js';
import type { ScoreKind, SquidJson } from '../../core/export/squidJson.js';
import type { ScoringJson } from '../../core/score/stats.js';
import type { SquidModel } from '../../core/model/types.js';
import { writeExport, type WriteExportOptions } from './writeExport.js';

/** What an export reads from a finished run (the caller disposes state). */
export interface RunForExport {
  config: RunConfig;
  scoring: ScoringJson;
  json: ModelJson;
  state: TensorState;
}

export async function readRun(run: string): Promise<RunForExport> {
  const config = await readRunConfig(run);
  const scoring = await readScoring(run);
  const { json, state } = await readModelDir(runPaths(run).best);
  return { config, scoring, json, state };
}

/** The run's best model, its weights restored (an error naming RUN/best/model.json when they do not fit). */
export function restoreModel(run: string, r: RunForExport, create: ModelFactory): SquidModel {
  const model = create(r.json.preset);
  try {
    model.setState(r.state);
    return model;
  } catch (err) {
    model.dispose();
    throw new InputError(join(runPaths(run).best, MODEL_JSON), `weights do not restore into the ${r.json.preset.name} model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function exportRun(run: string, out: string, create: ModelFactory, opts: WriteExportOptions = {}): Promise<SquidJson> {
  const r = await readRun(run);
  try {
    restoreModel(run, r, create).dispose();
    const primary: ScoreKind = presetScore(r.json.preset);
    return await writeExport(out, r.state, {
      preset: r.json.preset,
      primaryScore: primary,
      scoring: r.scoring, // RUN/scoring.json as it is: one statistics format
      training: { data: r.config.data, seed: r.config.seed },
    }, opts);
  } finally {
    disposeState(r.state);
  }
}
