/**
 * `squid export`: turns a training run folder into a browser-ready export.
 * Reads RUN/best (model.json + weights), RUN/config.json and
 * RUN/scoring.json (src/node/io/runDir.ts), checks the weights restore into the
 * preset's model, and writes the export (writeExport.ts). Node only.
 */
import { statsOf } from '../../core/score/stats.js';
import { join } from 'node:path';
import { disposeState } from '../../core/io/modelState.js';
import { readModelDir, readRunConfig, readScoring, runPaths } from '../io/runDir.js';
import { InputError } from '../../core/util/errors.js';
import { presetScore } from '../../core/squid/presets.js';
import { MODEL_JSON, type ModelFactory } from '../../core/export/loadExport.js';
import { SCORE_KINDS, type ScoreKind, type ScoreNormalization, type SquidJson } from '../../core/export/squidJson.js';
import { writeExport } from './writeExport.js';

export async function exportRun(run: string, out: string, create: ModelFactory): Promise<SquidJson> {
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
    const normalization: Partial<Record<ScoreKind, ScoreNormalization>> = {};
    for (const kind of SCORE_KINDS) {
      const s = scoring[kind];
      if (!s) continue;
      normalization[kind] = { mean: s.mean, std: s.std, threshold: s.threshold, policy: s.policy };
    }
    const primary: ScoreKind = presetScore(json.preset);
    return await writeExport(out, state, {
      preset: json.preset,
      primaryScore: primary,
      normalization,
      threshold: { value: statsOf(scoring, primary).threshold, policy: statsOf(scoring, primary).policy, score: primary },
      training: {
        data: config.data,
        date: scoring.date,
        images: scoring.trainImages,
        seed: config.seed,
      },
    });
  } finally {
    disposeState(state);
  }
}
