/**
 * `npm run bench [-- --json] [-- --only kernels|model] [-- --iters N] [-- --infer-iters N] [-- --rounds N] [-- --presets a,b]`
 * (a) per kernel: native vs tfjs-cpu vs PyTorch (same shapes, same run);
 * (b) whole model: one training iteration (D step + G step, batch 16) and
 *     inference per image at zhanglab and digitanatomy, native vs the PyTorch
 *     reference (bench/pytorch/squid_reference.py);
 * (c) peak RSS of each model run (separate processes).
 * PyTorch (Debian python3-torch) is a measuring stick only: skipped with a
 * message when absent. Timings on a shared machine are noisy: compare ratios
 * from one run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/node/backend/select.js';
import { registerNativeBackend } from '../src/node/backend/nativeBackend.js';
import { kernelCases, timeCase } from './kernels.js';
import { argValue, hasFlag } from './args.js';
import { median } from './median.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const pyDir = join(root, 'bench', 'pytorch');
const json = hasFlag('--json');
const only = argValue('--only');
const iters = argValue('--iters') ?? '2';
const inferIters = argValue('--infer-iters') ?? '10';
const rounds = Number(argValue('--rounds') ?? '2');
const threads = Number(process.env.SQUID_THREADS ?? '2');
const log = (s: string) => {
  if (!json) process.stdout.write(s + '\n');
};

function findPython(): { python?: string; why?: string } {
  const candidates = [process.env.SQUID_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const p of candidates) {
    const r = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: p };
  }
  return { why: `no python3 with torch found (tried ${candidates.join(', ')}); install python3-torch or set SQUID_PYTHON` };
}

interface KernelResult {
  name: string;
  nativeMs: number | null;
  cpuMs: number | null;
  torchMs: number | null;
}

const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
const times = (v: number | null, d = 2) => (v === null ? 'n/a' : `${fmt(v, d)}x`);

async function kernelTable(python: string | undefined): Promise<KernelResult[]> {
  await useBackend('cpu', { quiet: true });
  let nativeOk = true;
  try {
    await registerNativeBackend();
    await useBackend('native', { quiet: true }); // (also silences tfjs's "install tfjs-node" banner on it)
  } catch (err) {
    nativeOk = false;
    log(`native backend unavailable (${err instanceof Error ? err.message : String(err)}): native column skipped`);
  }
  const cases = kernelCases();
  const results: KernelResult[] = cases.map((c) => ({ name: c.name, nativeMs: null, cpuMs: null, torchMs: null }));
  for (const [i, c] of cases.entries()) {
    if (nativeOk) {
      await tf.setBackend('native');
      results[i]!.nativeMs = timeCase(c);
    }
    if (c.cpu !== false) {
      await tf.setBackend('cpu');
      results[i]!.cpuMs = timeCase(c, 3000);
    }
  }
  if (python) {
    const r = spawnSync(python, [join(pyDir, 'kernels.py'), '--threads', String(threads)], {
      input: JSON.stringify(cases.map((c) => c.torch)), encoding: 'utf8', maxBuffer: 1 << 24,
    });
    if (r.status === 0) {
      const ms = JSON.parse(r.stdout.trim()) as number[];
      ms.forEach((m, i) => (results[i]!.torchMs = m));
    } else {
      log(`PyTorch kernel timing failed: ${r.stderr.slice(-500)}`);
    }
  }
  return results;
}

interface ModelRun {
  ms: number[];
  maxRssMb: number;
}

function runModel(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ModelRun | { error: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24, cwd: root });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { error: `${cmd} exited ${r.status ?? r.signal}: ${r.stderr.slice(-400)}` };
  return JSON.parse(line) as ModelRun;
}


async function main(): Promise<void> {
  const { python, why } = findPython();
  if (!python) log(`PyTorch columns skipped: ${why}`);
  const out: Record<string, unknown> = { threads, note: 'shared machine: timings are noisy; compare ratios within one run' };
  if (only !== 'model') {
    log(`## (a) kernels: median ms, ${threads} threads (native, PyTorch); tfjs-cpu is single-threaded JavaScript`);
    const rows = await kernelTable(python);
    out.kernels = rows;
    log('| kernel | native ms | tfjs-cpu ms | PyTorch ms | cpu / native | PyTorch / native |');
    log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      log(`| ${r.name} | ${fmt(r.nativeMs)} | ${fmt(r.cpuMs)} | ${fmt(r.torchMs)} | ${times(ratio(r.cpuMs, r.nativeMs), 1)} | ${times(ratio(r.torchMs, r.nativeMs))} |`);
    }
  }
  if (only !== 'kernels') {
    const presets = (argValue('--presets') ?? 'zhanglab,digitanatomy').split(',');
    log(`\n## (b, c) whole model: median ms over ${rounds} alternating rounds (ours, PyTorch, ours, ...) of ${iters} ` +
      `training iteration(s) / ${inferIters} images each after warm-up; peak RSS per process (max over rounds)`);
    log('| preset | what | ours (native) ms | PyTorch ms | ours / PyTorch | ours peak RSS MB | PyTorch peak RSS MB |');
    log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    const models: Record<string, unknown>[] = [];
    const rows: { preset: string; mode: string; extra?: string[]; label: string }[] = [];
    for (const preset of presets) {
      rows.push({ preset, mode: 'train', label: 'training iteration (D+G, batch 16)' });
      if (preset === 'zhanglab') {
        rows.push({ preset, mode: 'train', extra: ['--two-forwards'], label: "training iteration, the reference's two generator forwards (ours only)" });
      }
      rows.push({ preset, mode: 'infer', label: 'inference per image (one image at a time)' });
      rows.push({ preset, mode: 'infer-batch', label: 'inference per image, batches of 16 (as `squid score`)' });
    }
    for (const row of rows) {
      const n = row.mode === 'infer' ? inferIters : row.mode === 'infer-batch' ? '3' : iters;
      const warm = row.mode === 'infer' ? '2' : '1';
      const ours: ModelRun[] = [];
      const ref: ModelRun[] = [];
      const errors: string[] = [];
      for (let r = 0; r < rounds; r++) {
        const o = runModel(process.execPath, [join(here, 'model.js'), '--preset', row.preset, '--mode', row.mode, '--iters', n,
          '--warmup', warm, '--backend', 'auto', ...(row.extra ?? [])]);
        if ('ms' in o) ours.push(o);
        else errors.push(`ours: ${o.error}`);
        if (python && !row.extra) {
          const t = runModel(python, [join(pyDir, 'squid_reference.py'), '--preset', row.preset, '--mode', row.mode, '--iters', n,
            '--warmup', warm, '--threads', String(threads)]);
          if ('ms' in t) ref.push(t);
          else errors.push(`PyTorch: ${t.error}`);
        }
      }
      const oms = ours.length ? median(ours.flatMap((x) => x.ms)) : null;
      const pms = ref.length ? median(ref.flatMap((x) => x.ms)) : null;
      const orss = ours.length ? Math.max(...ours.map((x) => x.maxRssMb)) : null;
      const prss = ref.length ? Math.max(...ref.map((x) => x.maxRssMb)) : null;
      models.push({ preset: row.preset, mode: row.mode, variant: row.extra?.join(' ') ?? 'default', ours, pytorch: ref, errors });
      log(`| ${row.preset} | ${row.label} | ${fmt(oms, 0)} | ${fmt(pms, 0)} | ${fmt(ratio(oms, pms))} | ${fmt(orss, 0)} | ${fmt(prss, 0)} |`);
      for (const e of errors) log(`  failed: ${e}`);
    }
    out.models = models;
  }
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
