/**
 * The model for the browser end-to-end test: a tiny SQUID run made with the
 * CLI (`squid train` for a few iterations) when that verb exists, else a
 * seeded fresh tiny model written as a run folder with score statistics
 * computed here; then `squid export`. Also returns Node's scores of the test
 * images (`squid score` when it exists, else the Detector it is built on).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { getPreset } from '../src/model/presets.js';
import { createSquid } from '../src/model/squid.js';
import { disposeState } from '../src/io/modelState.js';
import { readScoring, runPaths, writeModelDir, writeRunConfig, writeScoring, type ScoringJson } from '../src/io/runDir.js';
import { anomalyScores, meanStd, scoreImages } from '../src/score/scorer.js';
import { Detector } from '../src/score/detector.js';
import { createDigitAnatomy } from '../src/digitanatomy/index.js';
import { loadImage } from '../src/image/load.js';
import { REPO } from './e2eHarness.js';

export interface NodeScore {
  file: string;
  score: number;
  abnormal: boolean | null;
}

export interface TinyExport {
  exportDir: string;
  /** Node's scores of the given images, in order. */
  nodeScores: NodeScore[];
  threshold: number;
  /** How the model and the Node scores were made, for the test log. */
  how: string;
}

function squid(args: string[], timeoutMs = 300_000): string {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'squid.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`squid ${args.join(' ')} failed (${String(r.status)}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function hasVerb(verb: string): boolean {
  const help = spawnSync(process.execPath, [join(REPO, 'bin', 'squid.js'), '--help'], { cwd: REPO, encoding: 'utf8' }).stdout;
  return new RegExp(`^\\s+${verb}\\b`, 'm').test(help);
}

/** A seeded, untrained tiny model as a run folder, with statistics over 16 fresh normal images. */
async function writeFreshRun(run: string): Promise<void> {
  const preset = getPreset('tiny');
  const size = preset.model.imageSize;
  const model = createSquid(preset, { seed: 5 });
  const gen = await createDigitAnatomy({ size, seed: 11 });
  const n = 16;
  const raw = await scoreImages(model, gen.normalBatch(n), size, { batchSize: 8 });
  const scoring = {} as ScoringJson;
  for (const kind of ['discriminator', 'residual'] as const) {
    const { mean, std } = meanStd(raw[kind]);
    const scores = Array.from(anomalyScores(raw[kind], mean, std)).sort((a, b) => a - b);
    const threshold = scores[Math.min(n - 1, Math.floor(0.95 * n))] as number;
    scoring[kind] = { mean, std, threshold, policy: 'normal-quantile:0.95' };
  }
  scoring.trainImages = n;
  scoring.date = new Date().toISOString();
  const state = model.getState();
  model.dispose();
  await writeRunConfig(run, {
    preset,
    seed: 5,
    data: 'digitanatomy',
    val: null,
    createdAt: new Date().toISOString(),
    squidTsVersion: 'e2e-test',
  });
  await writeModelDir(runPaths(run).best, preset, state, { note: 'untrained (e2e fallback)' });
  disposeState(state);
  await writeScoring(run, scoring);
}

async function detectorScores(run: string, images: string[]): Promise<NodeScore[]> {
  const { readModelDir } = await import('../src/io/runDir.js');
  const { json, state } = await readModelDir(runPaths(run).best);
  const model = createSquid(json.preset, { seed: 0 });
  model.setState(state);
  disposeState(state);
  const det = new Detector(model, await readScoring(run));
  const out: NodeScore[] = [];
  for (const file of images) {
    const s = await det.score(await loadImage(file, { size: json.preset.model.imageSize }));
    out.push({ file, score: s.score, abnormal: s.anomalous });
  }
  det.dispose();
  return out;
}

export async function makeTinyExport(work: string, images: string[]): Promise<TinyExport> {
  const run = join(work, 'run');
  const exportDir = join(work, 'export');
  const trained = hasVerb('train');
  let how: string;
  if (trained) {
    squid(['train', '--preset', 'tiny', '--data', 'digitanatomy', '--out', run, '--max-iters', '4', '--backend', 'cpu']);
    how = 'squid train (tiny, 4 iterations)';
  } else {
    await writeFreshRun(run);
    how = 'fresh seeded tiny model (squid train not available), statistics over 16 normal images';
  }
  squid(['export', '--run', run, '--out', exportDir]);
  const scoring = await readScoring(run);
  const nodeScores = await detectorScores(run, images);
  return { exportDir, nodeScores, threshold: scoring.discriminator.threshold, how: `${how}; Node scores by the Detector` };
}
