/**
 * A trained run's model for the exploration tools (exploreScores.ts,
 * tileScores.ts): its best/ model or its checkpoint's, with the modules
 * exposed (the tools read internals on purpose).
 */
import { createSquid } from '../src/core/model/squid.js';
import type { SquidModules } from '../src/core/squid/squid.js';
import type { SquidModel } from '../src/core/model/types.js';
import { readCheckpoint, readModelDir, readRunConfig, runPaths, type RunConfig } from '../src/node/io/runDir.js';
import { disposeState, type TensorState } from '../src/core/io/modelState.js';

export async function loadRunModel(run: string, which: string): Promise<{ cfg: RunConfig; model: SquidModel; m: SquidModules }> {
  const cfg = await readRunConfig(run);
  let state: TensorState;
  if (which === 'best') state = (await readModelDir(runPaths(run).best)).state;
  else {
    const ck = await readCheckpoint(run);
    if (!ck) throw new Error(`${run}: no checkpoint`);
    state = {};
    for (const [k, v] of Object.entries(ck.state)) if (k.startsWith('model/')) state[k.slice(6)] = v;
    else v.dispose();
  }
  const model = createSquid(cfg.preset, { seed: 0 });
  model.setState(state);
  disposeState(state);
  return { cfg, model, m: (model as unknown as { m: SquidModules }).m };
}
