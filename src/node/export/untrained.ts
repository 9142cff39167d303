/**
 * Exports a freshly initialised (seeded) model: for timing the browser app
 * and for tests that need an export without training. Its scores mean
 * nothing: the statistics are the identity (mean 0, std 1) for every
 * score kind, with no threshold, unless given.
 * Node only.
 */
import { scoreKindsOf, type Preset } from '../../core/squid/presets.js';
import { createSquid } from '../../core/model/squid.js';
import { disposeState } from '../../core/io/modelState.js';
import type { SquidJson } from '../../core/export/squidJson.js';
import type { BaseScoreKind, ScoreStats, ScoringJson } from '../../core/score/stats.js';
import { writeExport } from './writeExport.js';

export async function exportUntrained(
  dir: string,
  preset: Preset,
  opts: {
    seed?: number;
    scoring?: ScoringJson;
    data?: string;
  } = {},
): Promise<SquidJson> {
  const model = createSquid(preset, { seed: opts.seed ?? 0 });
  const state = model.getState();
  model.dispose();
  try {
    return await writeExport(dir, state, {
      preset,
      primaryScore: 'discriminator',
      scoring: opts.scoring ?? identityScoring(preset),
      training: { data: opts.data ?? 'untrained (random initialisation)', seed: opts.seed ?? 0 },
    });
  } finally {
    disposeState(state);
  }
}

/** Mean 0, std 1 and no threshold (NaN: null in the file) for every score kind of the preset's model. */
function identityScoring(preset: Preset): ScoringJson {
  const stats = Object.fromEntries(scoreKindsOf(preset.model).map((k) => [k, { mean: 0, std: 1, threshold: Number.NaN, policy: 'none (untrained)' }]));
  return { ...(stats as Record<BaseScoreKind, ScoreStats>), trainImages: 0, date: new Date().toISOString() };
}
