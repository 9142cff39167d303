/**
 * Child process of `npm run bench`: times the whole model on one backend and
 * reports its peak RSS. `node dist/bench/model.js --preset zhanglab --mode
 * train|infer|infer-batch [--iters 2] [--warmup 1] [--backend native] [--two-forwards]`; prints one JSON line.
 */
import { useBackend, parseBackendChoice } from '../src/node/backend/select.js';
import { makeWorkload } from './workload.js';
import { argValue, hasFlag } from './args.js';

const preset = argValue('--preset') ?? 'zhanglab';
const mode = argValue('--mode') ?? 'train';
const iters = Number(argValue('--iters') ?? '2');
const warmup = Number(argValue('--warmup') ?? '1');
const info = await useBackend(parseBackendChoice(argValue('--backend') ?? 'native'), { quiet: true });
const w = await makeWorkload(preset, { sharedForward: !hasFlag('--two-forwards') });
const ms: number[] = [];
for (let i = 0; i < warmup + iters; i++) {
  const t0 = performance.now();
  if (mode === 'train') await w.trainIteration();
  else if (mode === 'infer-batch') w.inferBatch();
  else w.inferImage();
  // infer-batch: per image
  if (i >= warmup) ms.push((performance.now() - t0) / (mode === 'infer-batch' ? w.preset.train.batchSize : 1));
}
w.dispose();
process.stdout.write(JSON.stringify({
  preset, mode, backend: info.name, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, threads: info.threads ?? 1,
}) + '\n');
