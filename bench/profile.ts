/**
 * Per-kernel profile of one training iteration (D step + G step) on a
 * backend: `node dist/bench/profile.js [--preset zhanglab] [--backend native]
 * [--batch 16] [--warmup 1] [--json] [--mode infer] [--by-shape] [--two-forwards] [--memory]`.
 * Kernels are listed by total time (tf.profile's kernelTimeMs). --memory
 * instead samples the native storage after every kernel and prints where the
 * step's memory is when tensors hold the most (native backend only).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, parseBackendChoice } from '../src/node/backend/select.js';
import { makeWorkload } from './workload.js';
import { argValue, hasFlag } from './args.js';
import { loadAddon } from '../src/node/backend/native/addon.js';
import { coldMegabytes, pooledBlocks, pooledMegabytes } from '../src/node/backend/native/storage.js';

export interface KernelRow {
  kernel: string;
  calls: number;
  ms: number;
  share: number;
}

export async function profileIteration(
  run: () => void | Promise<void>,
  byShape = false,
): Promise<{ wallMs: number; kernelMs: number; peakMb: number; rows: KernelRow[] }> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await run();
  });
  const wallMs = performance.now() - t0;
  const by = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const key = byShape ? `${k.name} ${k.inputShapes.map((sh) => JSON.stringify(sh)).join(' ')}` : k.name;
    const e = by.get(key) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += ms;
    by.set(key, e);
  }
  const kernelMs = [...by.values()].reduce((a, e) => a + e.ms, 0);
  const rows = [...by.entries()]
    .map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ms, share: e.ms / Math.max(kernelMs, 1e-9) }))
    .sort((a, b) => b.ms - a.ms);
  return { wallMs, kernelMs, peakMb: info.peakBytes / 2 ** 20, rows };
}

export function formatProfile(p: { wallMs: number; kernelMs: number; peakMb: number; rows: KernelRow[] }, top = 40): string {
  const lines = [
    `wall ${p.wallMs.toFixed(0)} ms under tf.profile; kernels ${p.kernelMs.toFixed(0)} ms; peak live tensor memory ${p.peakMb.toFixed(0)} MB; ` +
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    '| kernel | calls | ms | share |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const r of p.rows.slice(0, top)) {
    lines.push(`| ${r.kernel} | ${r.calls} | ${r.ms.toFixed(1)} | ${(100 * r.share).toFixed(1)}% |`);
  }
  return lines.join('\n');
}

export interface MemoryPeak {
  /** kernel calls into the step when tensors held the most */
  call: number;
  calls: number;
  /** MB in native blocks held by tensors (C heap in use minus free blocks) */
  heldMb: number;
  /** MB of free blocks waiting for reuse, and of those whose pages were given back */
  freeBlocksMb: number;
  givenBackMb: number;
  /** MB in glibc's free chunks, and the heap's footprint */
  heapFreeMb: number;
  heapFootprintMb: number;
  /** the largest free-block lengths at that point: [floats, count, MB] */
  freeBlocks: [number, number, number][];
  peakRssMb: number;
}

/** Samples the native storage after every kernel of one run of step. */
export async function memoryPeak(step: () => void | Promise<void>): Promise<MemoryPeak> {
  const addon = loadAddon();
  const engine = tf.engine() as unknown as { runKernelFunc: (a: unknown) => unknown };
  const run = engine.runKernelFunc.bind(engine);
  const MB = 2 ** 20;
  let calls = 0;
  let best: Omit<MemoryPeak, 'calls' | 'peakRssMb'> | undefined;
  engine.runKernelFunc = (a: unknown) => {
    const r = run(a);
    calls++;
    const h = addon.heapStats();
    const held = h.inUse / MB - pooledMegabytes();
    if (!best || held > best.heldMb) {
      best = {
        call: calls, heldMb: held, freeBlocksMb: pooledMegabytes(), givenBackMb: coldMegabytes(), heapFreeMb: h.free / MB,
        heapFootprintMb: h.footprint / MB,
        freeBlocks: pooledBlocks().map((b): [number, number, number] => [b.length, b.count, (b.length * 4 * b.count) / MB])
          .sort((x, y) => y[2] - x[2]).slice(0, 8),
      };
    }
    return r;
  };
  try {
    await step();
  } finally {
    engine.runKernelFunc = run;
  }
  if (!best) throw new Error('no kernel ran');
  return { ...best, calls, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function formatMemory(m: MemoryPeak): string {
  const f = (v: number) => v.toFixed(0);
  return [
    `tensors held the most at kernel call ${m.call} of ${m.calls}: ${f(m.heldMb)} MB held; free blocks ${f(m.freeBlocksMb)} MB ` +
      `(${f(m.givenBackMb)} MB of them given back to the system); glibc free chunks ${f(m.heapFreeMb)} MB; heap footprint ` +
      `${f(m.heapFootprintMb)} MB; peak RSS ${f(m.peakRssMb)} MB`,
    `largest free-block lengths then (floats x count = MB): ${m.freeBlocks.map(([l, c, mb]) => `${l} x ${c} = ${mb.toFixed(1)}`).join('; ')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const preset = argValue('--preset') ?? 'zhanglab';
  const backend = parseBackendChoice(argValue('--backend') ?? 'native');
  const info = await useBackend(backend);
  const batch = argValue('--batch');
  const warmup = Number(argValue('--warmup') ?? '1');
  const w = await makeWorkload(preset, { batch: batch ? Number(batch) : undefined, sharedForward: !hasFlag('--two-forwards') });
  const step = argValue('--mode') === 'infer' ? async () => w.inferImage() : () => w.trainIteration();
  for (let i = 0; i < warmup; i++) await step();
  if (hasFlag('--memory')) {
    const m = await memoryPeak(step);
    w.dispose();
    process.stdout.write(hasFlag('--json') ? JSON.stringify({ preset, backend: info.name, ...m }, null, 2) + '\n'
      : `memory: ${preset} ${argValue('--mode') === 'infer' ? 'inference per image' : 'training iteration'} on ${info.name}\n${formatMemory(m)}\n`);
    return;
  }
  const t0 = performance.now();
  if (!hasFlag('--no-plain')) await step();
  const plainMs = hasFlag('--no-plain') ? NaN : performance.now() - t0;
  const p = await profileIteration(step, hasFlag('--by-shape'));
  w.dispose();
  if (hasFlag('--json')) {
    process.stdout.write(JSON.stringify({ preset, backend: info.name, plainMs, ...p }, null, 2) + '\n');
  } else {
    process.stdout.write(`profile: ${preset} ${argValue('--mode') === 'infer' ? 'inference per image' : 'training iteration'} on ${info.name}; ` +
      `plain iteration ${plainMs.toFixed(0)} ms\n${formatProfile(p)}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  await main();
}
