/**
 * The ONNX export against squid-ts on one trained run: scores, calls, AUC and
 * time per image, onnxruntime-node (its CPU provider, default threads) beside
 * the Detector on the active backend, alternating, on the images of a
 * labelled folder.
 * `node dist/bench/onnx.js --run RUN --data DIR [--batches 1,16] [--rounds 3] [--out DIR]`
 * (DIR: class sub-folders such as NORMAL/ and PNEUMONIA/). Prints a table.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { useBackend } from '../src/node/backend/select.js';
import { loadDetector } from '../src/node/api.js';
import { createSquid } from '../src/core/model/squid.js';
import { exportOnnx } from '../src/node/export/onnx/exportOnnx.js';
import { readLabelledFolder } from '../src/node/data/folders.js';
import { loadBatch } from '../src/node/data/batches.js';
import { rocAuc } from '../src/node/metrics/roc.js';
import { argValue } from './args.js';
import { median } from './median.js';

const run = argValue('--run');
const data = argValue('--data');
if (!run || !data) throw new Error('usage: node dist/bench/onnx.js --run RUN --data DIR [--batches 1,16] [--rounds 3] [--out DIR]');
const batches = (argValue('--batches') ?? '1,16').split(',').map(Number);
const rounds = Number(argValue('--rounds') ?? '3');
const outRoot = argValue('--out') ?? mkdtempSync(join(tmpdir(), 'squid-bench-onnx-'));

const backend = await useBackend('auto', { quiet: true });
const detector = await loadDetector(run);
const items = await readLabelledFolder(data);
const S = detector.size;
const px = S * S;
const { x: pixels } = await loadBatch(items.map((i) => i.path), { size: S });
const labels = items.map((i) => i.label);

console.log(`run ${run}, ${items.length} images of ${data}, ours on ${backend.name} (${backend.threads ?? 1} threads), onnxruntime-node ${ort.env.versions.common}`);
console.log('| batch | export s | model MB | ours ms/image | onnxruntime ms/image | ours AUC | onnxruntime AUC | largest score change | calls changed |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const B of batches) {
  const t0 = performance.now();
  const info = await exportOnnx(run, join(outRoot, `b${B}`), (p) => createSquid(p, { seed: 0 }), { batch: B });
  const exportS = (performance.now() - t0) / 1000;
  const session = await ort.InferenceSession.create(info.file);
  const n = items.length - (items.length % B); // whole batches only
  const ours = new Float64Array(n);
  const theirs = new Float64Array(n);
  const calls = { ours: new Array<boolean>(n), theirs: new Array<boolean>(n) };
  const ms = { ours: [] as number[], theirs: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (let s = 0; s < n; s += B) {
      const got = await detector.scoreMany(Array.from({ length: B }, (_, i) => pixels.subarray((s + i) * px, (s + i + 1) * px)));
      got.forEach((g, i) => {
        ours[s + i] = g.score;
        calls.ours[s + i] = g.anomalous;
      });
    }
    ms.ours.push((performance.now() - t) / n);
    t = performance.now();
    for (let s = 0; s < n; s += B) {
      const out = await session.run({ image: new ort.Tensor('float32', pixels.slice(s * px, (s + B) * px), [B, S, S, 1]) });
      const score = (out.score as ort.Tensor).data as Float32Array;
      const abnormal = out.abnormal ? ((out.abnormal as ort.Tensor).data as Uint8Array) : undefined;
      for (let i = 0; i < B; i++) {
        theirs[s + i] = score[i] as number;
        calls.theirs[s + i] = Boolean(abnormal?.[i]);
      }
    }
    ms.theirs.push((performance.now() - t) / n);
  }
  await session.release();
  let worst = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[i] as number)));
    if (calls.ours[i] !== calls.theirs[i]) changed++;
  }
  const l = labels.slice(0, n);
  console.log(
    `| ${B} | ${exportS.toFixed(1)} | ${(info.bytes / 2 ** 20).toFixed(1)} | ${median(ms.ours).toFixed(1)} | ${median(ms.theirs).toFixed(1)} | ${rocAuc(l, ours).toFixed(4)} | ${rocAuc(l, theirs).toFixed(4)} | ${worst.toExponential(1)} | ${changed} of ${n} |`,
  );
}
console.log(`(medians over ${rounds} alternating rounds; exports in ${outRoot})`);
