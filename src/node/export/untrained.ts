/**
 * Exports a freshly initialised (seeded) model: for timing the browser app
 * and for tests that need an export without training. Its scores mean
 * nothing: normalization is the identity (mean 0, std 1) unless given, and
 * there is no threshold unless given. Node only.
 */
import type { Preset } from '../../core/squid/presets.js';
import { createSquid } from '../../core/squid/squid.js';
import { disposeState } from '../../core/io/modelState.js';
import type { ExportThreshold, ScoreKind, ScoreNormalization, SquidJson } from '../../core/export/squidJson.js';
import { writeExport } from './writeExport.js';

export async function exportUntrained(
  dir: string,
  preset: Preset,
  opts: {
    seed?: number;
    normalization?: Partial<Record<ScoreKind, ScoreNormalization>>;
    threshold?: ExportThreshold | null;
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
      normalization: opts.normalization ?? { discriminator: { mean: 0, std: 1 }, residual: { mean: 0, std: 1 } },
      threshold: opts.threshold ?? null,
      training: { data: opts.data ?? 'untrained (random initialisation)', date: new Date().toISOString(), images: null, seed: opts.seed ?? 0 },
    });
  } finally {
    disposeState(state);
  }
}
