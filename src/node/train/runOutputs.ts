/**
 * What a run leaves besides its checkpoints (Node only): the best model
 * (RUN/best) and the score statistics of that model (RUN/scoring.json).
 */
import type { Preset } from '../../core/squid/presets.js';
import type { SquidModel } from '../../core/model/types.js';
import { disposeState } from '../../core/io/modelState.js';
import { readModelDir, runPaths, writeModelDir, writeScoring, type ScoringJson } from '../io/runDir.js';
import { computeScoring, type LabelledPixels } from '../score/statistics.js';
import type { BatchSource } from './sources.js';
import { refreshPatchMemory } from './patchMemory.js';
import { silentTasks, type TaskProgress } from '../taskProgress.js';

/** Writes the model as RUN/best with its provenance. */
export async function saveModel(run: string, preset: Preset, model: SquidModel, meta: Record<string, string | number | null>): Promise<void> {
  const state = model.getState();
  try {
    await writeModelDir(runPaths(run).best, preset, state, meta);
  } finally {
    disposeState(state);
  }
}

/** Score statistics and thresholds of the best model, written to RUN/scoring.json. */
export async function finishScoring(
  run: string,
  data: { source: BatchSource; val: LabelledPixels | null; statsImages?: number },
  preset: Preset,
  make: () => SquidModel,
  tasks: TaskProgress = silentTasks,
): Promise<ScoringJson> {
  const best = await readModelDir(runPaths(run).best);
  const model = make();
  try {
    model.setState(best.state);
  } finally {
    disposeState(best.state);
  }
  try {
    if (preset.model.patchMemory && !model.patchMemoryFilled()) {
      // a run without validation: the memory is filled once, for the model kept
      refreshPatchMemory(model, data.source, data.statsImages);
      await saveModel(run, preset, model, best.json.meta ?? {});
    }
    const train = data.source.sample(data.statsImages ?? 200);
    const scoring = await computeScoring(model, train, preset.model.imageSize, data.val, tasks);
    await writeScoring(run, scoring);
    return scoring;
  } finally {
    model.dispose();
  }
}
