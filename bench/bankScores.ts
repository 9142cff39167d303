/**
 * Exploration: space-aware nearest-neighbour scores on one trained model.
 * For each grid position, a bank of per-patch features of normal training
 * images (inference mode); an image's value at a position is the squared
 * distance of its patch feature to the nearest bank entry of that position,
 * z-scored per position on other normal training images, reduced by max
 * (and mean) over positions. Prints validation AUC per anomaly type.
 *   node dist/bench/bankScores.js --run R [--which best|checkpoint] [--bank 500] [--normals 300]
 * Reads model internals on purpose (it is a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import type { SquidModules } from '../src/core/squid/squid.js';
import { splitPatches } from '../src/core/squid/patches.js';
import type { Skip } from '../src/core/squid/encoder.js';
import type { ResidualBlock } from '../src/core/squid/residualBlock.js';
import { trainingSource, generatedValSet } from '../src/node/train/data.js';
import { rocAuc } from '../src/node/metrics/roc.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    which: { type: 'string', default: 'best' },
    bank: { type: 'string', default: '500' },
    normals: { type: 'string', default: '300' },
    only: { type: 'string', default: '' },
    project: { type: 'string', default: '0' },
    coreset: { type: 'string', default: '0' },
    k: { type: 'string', default: '1' },
  },
});

/** name -> per-patch rows [n*N, d] (image-major) */
type Feats = Record<string, { data: Float32Array; d: number }>;

async function features(m: SquidModules, pixels: Float32Array, size: number, P: number): Promise<Feats> {
  const per = size * size;
  const n = pixels.length / per;
  const parts: Record<string, Float32Array[]> = {};
  const dims: Record<string, number> = {};
  const enc = m.encoder as unknown as { inBlock: ResidualBlock; downs: ResidualBlock[] };
  for (let s = 0; s < n; s += 16) {
    const B = Math.min(16, n - s);
    const f = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * per, (s + B) * per), [B, size, size, 1]);
      const r: Record<string, tf.Tensor> = {};
      const patches = splitPatches(x, P);
      r.pixels = patches;
      let h = enc.inBlock.apply(patches, 'running');
      r.enc0 = h;
      enc.downs.forEach((down, i) => {
        h = down.apply(h, 'running');
        r[`enc${i + 1}`] = h;
      });
      const { bottleneck, skips } = m.encoder.apply(x, 'running');
      const inp = m.inpainting?.apply(bottleneck, 'running', undefined);
      if (inp) r.queries = inp.queries;
      let st = inp ? inp.features : bottleneck;
      let te = bottleneck;
      const skip = skips[m.student.levels - 1] as Skip;
      st = m.student.level(0, st, skip, 'running', undefined);
      r.student0 = st;
      if (m.teacher) {
        te = m.teacher.level(0, te, skip, 'running', undefined);
        r.teacher0 = te;
      }
      for (const k of Object.keys(r)) {
        const t = r[k] as tf.Tensor4D;
        if (t.rank !== 4 || k === 'pixels') continue;
        const side = t.shape[1];
        if (side >= 4) r[`${k}/pool2`] = tf.avgPool(t, side / 2, side / 2, 'valid');
        r[`${k}/gap`] = tf.mean(t, [1, 2]);
        r[`${k}/gmp`] = tf.max(t, [1, 2]);
      }
      return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, tf.reshape(t, [t.shape[0] as number, -1])]));
    });
    const only = (values.only as string).split(',').filter(Boolean);
    for (const [k, t] of Object.entries(f)) {
      if (only.length > 0 && !only.includes(k)) continue;
      (parts[k] ??= []).push((await t.data()) as Float32Array);
      dims[k] = t.shape[1] as number;
    }
    tf.dispose(Object.values(f));
  }
  const out: Feats = {};
  for (const [k, a] of Object.entries(parts)) {
    const data = new Float32Array(a.reduce((t, v) => t + v.length, 0));
    let o = 0;
    for (const v of a) {
      data.set(v, o);
      o += v.length;
    }
    out[k] = { data, d: dims[k] as number };
  }
  return out;
}

/** [n, N] nearest squared distance of each query patch to the bank rows of its position. */
function nearest(bank: { data: Float32Array; d: number }, q: { data: Float32Array; d: number }, N: number, skipSelf = false): Float32Array {
  return tf.tidy(() => {
    const d = bank.d;
    const b = tf.transpose(tf.reshape(tf.tensor(bank.data), [-1, N, d]), [1, 0, 2]) as tf.Tensor3D; // [N,T,d]
    const a = tf.transpose(tf.reshape(tf.tensor(q.data), [-1, N, d]), [1, 0, 2]) as tf.Tensor3D; // [N,n,d]
    const ab = tf.matMul(a, b, false, true); // [N,n,T]
    const a2 = tf.sum(tf.square(a), 2, true);
    const b2 = tf.expandDims(tf.sum(tf.square(b), 2), 1);
    let dist = tf.add(tf.sub(a2, tf.mul(ab, 2)), b2);
    if (skipSelf) dist = tf.add(dist, tf.mul(tf.expandDims(tf.eye(dist.shape[1] as number, dist.shape[2] as number), 0), 1e30));
    const k = Number(values.k);
    const near = k === 1 ? tf.min(dist, 2) : tf.neg(tf.mean(tf.topk(tf.neg(dist), k).values, 2)); // mean of the k nearest
    return tf.transpose(near).dataSync() as Float32Array; // [n,N]
  });
}

/** Greedy k-center subset (per position) of bank rows [T*N, d] -> [m*N, d]. */
function coreset(bank: { data: Float32Array; d: number }, N: number, m: number): { data: Float32Array; d: number } {
  const d = bank.d;
  const T = bank.data.length / (N * d);
  const out = new Float32Array(m * N * d);
  for (let p = 0; p < N; p++) {
    const row = (i: number): number => (i * N + p) * d;
    const minD = new Float64Array(T).fill(Infinity);
    let c = 0;
    for (let j = 0; j < m; j++) {
      out.set(bank.data.subarray(row(c), row(c) + d), (j * N + p) * d);
      const co = row(c);
      let best = -1;
      let arg = 0;
      for (let i = 0; i < T; i++) {
        const o = row(i);
        let s = 0;
        for (let t = 0; t < d; t++) {
          const z = bank.data[o + t]! - bank.data[co + t]!;
          s += z * z;
        }
        if (s < minD[i]!) minD[i] = s;
        if (minD[i]! > best) {
          best = minD[i]!;
          arg = i;
        }
      }
      c = arg;
    }
  }
  return { data: out, d };
}

function reduce(a: Float32Array, N: number, mu: number[], sd: number[], how: 'max' | 'mean'): number[] {
  const n = a.length / N;
  return Array.from({ length: n }, (_, i) => {
    let r = how === 'max' ? -Infinity : 0;
    for (let p = 0; p < N; p++) {
      const v = (a[i * N + p]! - mu[p]!) / sd[p]!;
      r = how === 'max' ? Math.max(r, v) : r + v / N;
    }
    return r;
  });
}

function stats(a: Float32Array, N: number): { mu: number[]; sd: number[] } {
  const n = a.length / N;
  const mu = Array.from({ length: N }, (_, p) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i * N + p]!;
    return s / n;
  });
  const sd = mu.map((m, p) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i * N + p]! - m) ** 2;
    return Math.sqrt(s / n) || 1;
  });
  return { mu, sd };
}

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const { cfg, m } = await loadRunModel(values.run as string, values.which as string);
  const preset = cfg.preset;
  const size = preset.model.imageSize;
  const P = preset.model.patchesPerSide;
  const N = P * P;
  const source = await trainingSource('digitanatomy', preset, 123);
  const bank = await features(m, source.sample(Number(values.bank)), size, P);
  const ref = await features(m, source.sample(200, 1000000), size, P); // disjoint from the bank
  const val = await generatedValSet(preset, 7, Number(values.normals));
  const v = await features(m, val.x, size, P);
  const types = ['missing', 'misordered', 'flipped', 'zero'];
  const rows: string[] = ['| features (d) | reduce | all | ' + types.join(' | ') + ' |', '| --- | --- | ---: |' + types.map(() => ' ---: |').join('')];
  const only = (values.only as string).split(',').filter(Boolean);
  const pd = Number(values.project);
  if (pd > 0) {
    for (const k of Object.keys(v)) {
      if (only.length > 0 && !only.includes(k)) continue;
      const d = v[k]!.d;
      if (d <= pd) continue;
      const R = tf.randomNormal([d, pd], 0, 1 / Math.sqrt(pd), 'float32', 42);
      for (const f of [bank, ref, v]) {
        const x = tf.tensor2d(f[k]!.data, [f[k]!.data.length / d, d]);
        f[k] = { data: tf.matMul(x, R).dataSync() as Float32Array, d: pd };
        x.dispose();
      }
      R.dispose();
    }
  }
  const cs = Number(values.coreset);
  if (cs > 0) {
    for (const k of Object.keys(v)) {
      if (only.length > 0 && !only.includes(k)) continue;
      bank[k] = coreset(bank[k]!, N, cs);
    }
  }
  const zmaps: Record<string, Float32Array> = {};
  for (const k of Object.keys(v)) {
    if (only.length > 0 && !only.includes(k)) continue;
    const st = stats(nearest(bank[k]!, ref[k]!, N), N);
    const dv = nearest(bank[k]!, v[k]!, N);
    zmaps[k] = dv.map((x, i) => (x - st.mu[i % N]!) / st.sd[i % N]!);
    const variants: [string, number[], number[], 'max' | 'mean'][] = [
      ['max', st.mu, st.sd, 'max'],
      ['mean', st.mu, st.sd, 'mean'],
      ['max, no z', new Array(N).fill(0), new Array(N).fill(1), 'max'],
      ['max, z by mean only', new Array(N).fill(0), st.mu, 'max'],
    ];
    for (const [how, mu, sd, red] of variants) {
      const score = reduce(dv, N, mu, sd, red);
      const per = types.map((t) => {
        const idx = (val.types as string[]).map((u, i) => (u === t || u === 'normal' ? i : -1)).filter((i) => i >= 0);
        return rocAuc(
          idx.map((i) => val.labels[i]!),
          idx.map((i) => score[i]!),
        );
      });
      rows.push(`| ${k} (${v[k]!.d}) | ${how} | ${rocAuc(val.labels, score).toFixed(3)} | ${per.map((a) => a.toFixed(3)).join(' | ')} |`);
    }
  }
  const ks = Object.keys(zmaps);
  for (let a = 0; a < ks.length; a++) {
    for (let b = a + 1; b < ks.length; b++) {
      const za = zmaps[ks[a]!]!;
      const zb = zmaps[ks[b]!]!;
      const sum = za.map((x, i) => x + zb[i]!);
      const score = reduce(sum, N, new Array(N).fill(0), new Array(N).fill(1), 'max');
      const per = types.map((t) => {
        const idx = (val.types as string[]).map((u, i) => (u === t || u === 'normal' ? i : -1)).filter((i) => i >= 0);
        return rocAuc(idx.map((i) => val.labels[i]!), idx.map((i) => score[i]!));
      });
      rows.push(`| ${ks[a]} + ${ks[b]} | max | ${rocAuc(val.labels, score).toFixed(3)} | ${per.map((x) => x.toFixed(3)).join(' | ')} |`);
    }
  }
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
