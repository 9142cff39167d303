/**
 * The model for the browser end-to-end test: a tiny SQUID trained briefly
 * with the training API behind `squid train` (one iteration, statistics
 * over 8 training images, to keep the test short), exported with
 * `squid export`; Node's scores of the test images come from `squid score`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { train } from '../../src/node/api.js';
import { statsOf } from '../../src/core/score/stats.js';
import { REPO } from './harness.js';

export interface NodeScore {
  file: string;
  score: number;
  raw: number;
  abnormal: boolean | null;
}

export interface TinyExport {
  run: string;
  exportDir: string;
  /** `squid score --backend cpu --json` of the given images, in order. */
  nodeScores: NodeScore[];
  threshold: number;
  /** The run's primary score kind, and the standard deviation of its raw value over training images. */
  kind: string;
  rawStd: number;
  how: string;
}

export function squid(args: string[], timeoutMs = 300_000): string {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'squid.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`squid ${args.join(' ')} failed (${String(r.status)}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export async function makeTinyExport(work: string, images: string[]): Promise<TinyExport> {
  const run = join(work, 'run');
  const exportDir = join(work, 'export');
  const t0 = Date.now();
  // digitanatomy-fast: the tiny model with the position task, so the app runs its default score and heatmap (position)
  const trained = await train({ data: 'digitanatomy', preset: 'digitanatomy-fast', out: run, maxIters: 1, batchSize: 2, statsImages: 8, seed: 3 });
  if (!trained.scoring) throw new Error(`training stopped without score statistics (${trained.stoppedBy})`);
  const trainS = (Date.now() - t0) / 1000;
  squid(['export', '--run', run, '--out', exportDir]);
  const rows = JSON.parse(squid(['score', '--run', run, '--json', '--backend', 'cpu', ...images])) as {
    file: string;
    score: number;
    raw: number;
    label: string;
    threshold: number;
  }[];
  const nodeScores = rows.map((r) => ({ file: r.file, score: r.score, raw: r.raw, abnormal: r.label === 'abnormal' }));
  return {
    run,
    exportDir,
    nodeScores,
    threshold: statsOf(trained.scoring, trained.selectBy).threshold,
    kind: trained.selectBy,
    rawStd: statsOf(trained.scoring, trained.selectBy).std,
    how: `tiny trained 1 iteration at batch 2 in ${trainS.toFixed(0)} s (train API of squid train), statistics over 8 images`,
  };
}
