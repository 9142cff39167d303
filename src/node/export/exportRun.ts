/**
 * `squid export`: turns a training run folder into a browser-ready export.
 * Reads RUN/best (model.json + weights), RUN/config.json and
 * RUN/scoring.json (src/node/io/runDir.ts), checks the weights restore into the
 * preset's model, and writes the export (writeExport.ts). Node only.
 */
import { join } from 'node:path';
import { disposeState } from '../../core/io/modelState.js';
import { readModelDir, readRunConfig, readScoring, runPaths } from '../io/runDir.js';
import { InputError } from '../../core/util/errors.js';
import { presetScore } from '../../core/squid/presets.js';
import { MODEL_JSON, type ModelFactory } from '../../core/export/loadExport.js';
import type { ScoreKind, SquidJson } from '../../core/export/squidJson.js';
import { writeExport, type WriteExportOptions } from './writeExport.js';

export async function exportRun(run: string, out: string, create: ModelFactory, opts: WriteExportOptions = {}): Promise<SquidJson> {
  const config = await readRunConfig(run);
  const scoring = await readScoring(run);
  const { json, state } = await readModelDir(runPaths(run).best);
  try {
    const model = create(json.preset);
    try {
      model.setState(state);
    } catch (err) {
      throw new InputError(
        join(runPaths(run).best, MODEL_JSON),
        `weights do not restore into the ${json.preset.name} model: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      model.dispose();
    }
    const primary: ScoreKind = presetScore(json.preset);
    return await writeExport(out, state, {
      preset: json.preset,
      primaryScore: primary,
      scoring, // RUN/scoring.json as it is: one statistics format
      training: { data: config.data, seed: config.seed },
    }, opts);
  } finally {
    disposeState(state);
  }
}
