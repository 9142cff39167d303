/**
 * Exploration: validation AUC of candidate score kinds on one trained model
 * (a run's best/ or checkpoint/). Every candidate is fitted on training
 * (normal) images only; val labels are used only to measure AUC.
 *   node dist/bench/exploreScores.js --run R [--which checkpoint|best] --data TRAIN --val VAL [--train-images 200]
 * Reads model internals on purpose (it is a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import type { SquidModules } from '../src/core/squid/squid.js';
import { trainingSource, validationSet } from '../src/node/train/data.js';
import { rocAuc } from '../src/node/metrics/roc.js';
import { rawOf, scoreImages, SCORE_KINDS, type ScoreKind } from '../src/core/score/scorer.js';
import { inferenceContext } from '../src/core/squid/context.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    which: { type: 'string', default: 'checkpoint' },
    data: { type: 'string' },
    val: { type: 'string' },
    'train-images': { type: 'string', default: '200' },
  },
});

interface Feats {
  /** [n, N, d] in-painting queries (inference mode) */
  q: Float32Array;
  /** [n, N, C] bottleneck, mean-pooled per patch */
  bott: Float32Array;
  /** [n, Dd] discriminator last features of the input image */
  dfeat: Float32Array;
  /** D(x) logit */
  dx: Float32Array;
  /** D(x) logit, running batch-norm statistics */
  dxRun: Float32Array;
  /** multi-level encoder skips, mean-pooled per image, concatenated */
  skipsPooled: Float32Array;
  /** mean intensity (a trivial baseline) */
  meanI: Float32Array;
}

async function features(m: SquidModules, pixels: Float32Array, size: number): Promise<Feats> {
  const per = size * size;
  const n = pixels.length / per;
  const parts: Record<keyof Feats, Float32Array[]> = { q: [], bott: [], dfeat: [], dx: [], meanI: [], dxRun: [], skipsPooled: [] };
  const bs = 16;
  for (let s = 0; s < n; s += bs) {
    const k = Math.min(bs, n - s);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * per, (s + k) * per), [k, size, size, 1]);
      const enc = m.encoder.apply(x, inferenceContext());
      const q = tf.reshape(m.inpainting!.bottleneck1.apply(enc.bottleneck, inferenceContext()), [k, -1]);
      const bott = tf.mean(enc.bottleneck, [1, 2]);
      const d = m.discriminator.lastConv(x, inferenceContext('per-image'));
      const dx = m.discriminator.fromLastConv(d, inferenceContext('per-image'));
      const dfeat = tf.reshape(tf.leakyRelu(d, 0.2), [k, -1]);
      const meanI = tf.mean(x, [1, 2, 3]);
      const dxRun = m.discriminator.apply(x, inferenceContext());
      const P2 = enc.bottleneck.shape[0] / k;
      const pooled = enc.skips
        .filter((t): t is tf.Tensor4D => t instanceof tf.Tensor)
        .map((t) => tf.mean(tf.reshape(tf.mean(t, [1, 2]), [k, P2, -1]), 1));
      const skipsPooled = tf.concat([...pooled, tf.mean(tf.reshape(bott, [k, P2, -1]), 1)], 1);
      return { q, bott, dfeat, dx, meanI, dxRun, skipsPooled };
    });
    parts.q.push((await out.q.data()) as Float32Array);
    parts.bott.push((await out.bott.data()) as Float32Array);
    parts.dfeat.push((await out.dfeat.data()) as Float32Array);
    parts.dx.push((await out.dx.data()) as Float32Array);
    parts.meanI.push((await out.meanI.data()) as Float32Array);
    parts.dxRun.push((await out.dxRun.data()) as Float32Array);
    parts.skipsPooled.push((await out.skipsPooled.data()) as Float32Array);
    tf.dispose(Object.values(out));
  }
  const cat = (a: Float32Array[]) => {
    const t = new Float32Array(a.reduce((s, v) => s + v.length, 0));
    let o = 0;
    for (const v of a) {
      t.set(v, o);
      o += v.length;
    }
    return t;
  };
  return {
    q: cat(parts.q),
    bott: cat(parts.bott),
    dfeat: cat(parts.dfeat),
    dx: cat(parts.dx),
    meanI: cat(parts.meanI),
    dxRun: cat(parts.dxRun),
    skipsPooled: cat(parts.skipsPooled),
  };
}

/** Per-dimension mean and variance of rows [n, d]. */
function diagGauss(rows: Float32Array, n: number, d: number): { mu: Float64Array; v: Float64Array } {
  const mu = new Float64Array(d);
  const v = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j]! += rows[i * d + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[j]! += (rows[i * d + j]! - mu[j]!) ** 2 / n;
  let mean = 0;
  for (let j = 0; j < d; j++) mean += v[j]! / d;
  for (let j = 0; j < d; j++) v[j] = v[j]! + 0.01 * mean + 1e-8;
  return { mu, v };
}

function mahalDiag(row: Float32Array, off: number, g: { mu: Float64Array; v: Float64Array }): number {
  let s = 0;
  for (let j = 0; j < g.mu.length; j++) s += (row[off + j]! - g.mu[j]!) ** 2 / g.v[j]!;
  return s / g.mu.length;
}

function sqDist(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += (a[ao + j]! - b[bo + j]!) ** 2;
  return s;
}

/** Per-position scores: each image's N values aggregated by max and mean. */
function perPosition(n: number, N: number, f: (i: number, p: number) => number): { max: number[]; mean: number[] } {
  const max: number[] = [];
  const mean: number[] = [];
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    let sm = 0;
    for (let p = 0; p < N; p++) {
      const v = f(i, p);
      mx = Math.max(mx, v);
      sm += v / N;
    }
    max.push(mx);
    mean.push(sm);
  }
  return { max, mean };
}

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const run = values.run as string;
  const { cfg, model, m } = await loadRunModel(run, values.which as string);
  const preset = cfg.preset;
  const size = preset.model.imageSize;
  const N = preset.model.patchesPerSide ** 2;
  const source = await trainingSource(values.data ?? cfg.data, preset, 0);
  const nTrain = Number(values['train-images']);
  const trainPx = source.sample(nTrain);
  const val = await validationSet(values.val ?? (cfg.val as string), preset, cfg.seed);
  const labels = val.labels;
  const nv = labels.length;
  const ft = await features(m, trainPx, size);
  const fv = await features(m, val.x, size);
  const all = await scoreImages(model, val.x, size);
  const rawV = Object.fromEntries(SCORE_KINDS.map((k) => [k, rawOf(all, k)])) as Record<ScoreKind, Float32Array>;
  const res: Record<string, number> = {};
  // higher value = more anomalous
  res['disc(recon) [ref]'] = rocAuc(labels, Array.from(rawV.discriminator, (v) => -v));
  res['residual'] = rocAuc(labels, Array.from(rawV.residual, (v) => -v));
  res['-residual (inverted)'] = rocAuc(labels, Array.from(rawV.residual, (v) => v));
  res['D(x) of input'] = rocAuc(labels, Array.from(fv.dx, (v) => -v));
  res['D(x) running BN'] = rocAuc(labels, Array.from(fv.dxRun, (v) => -v));
  res['D(x) - D(recon)'] = rocAuc(labels, Array.from(fv.dx, (v, i) => -(v - rawV.discriminator[i]!)));
  const zfit = (t: ArrayLike<number>) => {
    const a = Array.from(t);
    const mu = a.reduce((x, y) => x + y, 0) / a.length;
    const sd = Math.sqrt(a.reduce((x, y) => x + (y - mu) ** 2, 0) / a.length) || 1;
    return (v: number) => (v - mu) / sd;
  };
  const zdx = zfit(ft.dx);
  const SP = fv.skipsPooled.length / nv;
  const gsp = diagGauss(ft.skipsPooled, ft.dx.length, SP);
  const spT = Array.from({ length: ft.dx.length }, (_, i) => mahalDiag(ft.skipsPooled, i * SP, gsp));
  const spV = Array.from({ length: nv }, (_, i) => mahalDiag(fv.skipsPooled, i * SP, gsp));
  res['gauss-encoder pooled'] = rocAuc(labels, spV);
  const zsp = zfit(spT);
  res['z D(x) + z gauss-enc'] = rocAuc(labels, spV.map((v, i) => zsp(v) - zdx(fv.dx[i]!)));
  res['mean intensity (trivial)'] = rocAuc(labels, Array.from(fv.meanI));
  res['-mean intensity (trivial)'] = rocAuc(labels, Array.from(fv.meanI, (v) => -v));

  const d = fv.q.length / (nv * N);
  // memory queue distance
  const inp = m.inpainting as unknown as { memory: { memory: tf.Variable; numQueues: number; slots: number } } | undefined;
  if (inp) {
    const mem = inp.memory.memory.dataSync() as Float32Array;
    const Q = inp.memory.numQueues;
    const S = inp.memory.slots;
    const memScore = perPosition(nv, N, (i, p) => {
      const qi = Q === 1 ? 0 : p;
      let best = Infinity;
      for (let s = 0; s < S; s++) best = Math.min(best, sqDist(fv.q, (i * N + p) * d, mem, (qi * S + s) * d, d));
      return best;
    });
    res['memory-min max'] = rocAuc(labels, memScore.max);
    res['memory-min mean'] = rocAuc(labels, memScore.mean);
  }
  // kNN to training-image queries (inference mode), per position
  const nt = ft.q.length / (N * d);
  for (const k of [1, 5]) {
    const knn = perPosition(nv, N, (i, p) => {
      const ds: number[] = [];
      for (let t = 0; t < nt; t++) ds.push(sqDist(fv.q, (i * N + p) * d, ft.q, (t * N + p) * d, d));
      ds.sort((a, b) => a - b);
      return ds.slice(0, k).reduce((a, b) => a + b, 0) / k;
    });
    res[`knn${k}-q max`] = rocAuc(labels, knn.max);
    res[`knn${k}-q mean`] = rocAuc(labels, knn.mean);
  }
  // diag Gaussian on q and on pooled bottleneck, per position
  const gq = Array.from({ length: N }, (_, p) => {
    const rows = new Float32Array(nt * d);
    for (let t = 0; t < nt; t++) rows.set(ft.q.subarray((t * N + p) * d, (t * N + p + 1) * d), t * d);
    return diagGauss(rows, nt, d);
  });
  const gqs = perPosition(nv, N, (i, p) => mahalDiag(fv.q, (i * N + p) * d, gq[p]!));
  res['gauss-q max'] = rocAuc(labels, gqs.max);
  res['gauss-q mean'] = rocAuc(labels, gqs.mean);
  const C = fv.bott.length / (nv * N);
  const gb = Array.from({ length: N }, (_, p) => {
    const rows = new Float32Array(nt * C);
    for (let t = 0; t < nt; t++) rows.set(ft.bott.subarray((t * N + p) * C, (t * N + p + 1) * C), t * C);
    return diagGauss(rows, nt, C);
  });
  const gbs = perPosition(nv, N, (i, p) => mahalDiag(fv.bott, (i * N + p) * C, gb[p]!));
  res['gauss-bottleneck max'] = rocAuc(labels, gbs.max);
  res['gauss-bottleneck mean'] = rocAuc(labels, gbs.mean);
  const Dd = fv.dfeat.length / nv;
  const gd = diagGauss(ft.dfeat, nt, Dd);
  res['gauss-D(x) features'] = rocAuc(labels, Array.from({ length: nv }, (_, i) => mahalDiag(fv.dfeat, i * Dd, gd)));
  // residual maps: per-patch MSE (max over the P x P grid), and the largest k x k average-pooled error
  const P = preset.model.patchesPerSide;
  const resMaps = async (px: Float32Array): Promise<{ patchMax: number[]; pool4: number[]; pool8: number[]; patchRows: number[][] }> => {
    const out = { patchMax: [] as number[], pool4: [] as number[], pool8: [] as number[], patchRows: [] as number[][] };
    const n = px.length / (size * size);
    for (let s0 = 0; s0 < n; s0 += 16) {
      const k = Math.min(16, n - s0);
      const r = tf.tidy(() => {
        const x = tf.tensor4d(px.subarray(s0 * size * size, (s0 + k) * size * size), [k, size, size, 1]);
        const e = tf.squaredDifference(x, model.reconstruct(x)) as tf.Tensor4D;
        const patch = tf.avgPool(e, size / P, size / P, 'valid'); // [k,P,P,1]
        return {
          patch: tf.reshape(patch, [k, P * P]),
          pool4: tf.max(tf.avgPool(e, size / 8, size / 16, 'valid'), [1, 2, 3]),
          pool8: tf.max(tf.avgPool(e, size / 4, size / 8, 'valid'), [1, 2, 3]),
        };
      });
      const pa = r.patch.arraySync() as number[][];
      out.patchMax.push(...pa.map((row) => Math.max(...row)));
      out.pool4.push(...(r.pool4.arraySync() as number[]));
      out.pool8.push(...(r.pool8.arraySync() as number[]));
      out.patchRows.push(...pa);
      tf.dispose(Object.values(r));
    }
    return out;
  };
  const rmT = await resMaps(trainPx);
  const rmV = await resMaps(val.x);
  res['residual patch max'] = rocAuc(labels, rmV.patchMax);
  res['residual pool 1/8 max'] = rocAuc(labels, rmV.pool4);
  res['residual pool 1/4 max'] = rocAuc(labels, rmV.pool8);
  // per-position z-scores of the patch error (mean and std over training images), max over positions
  const mu = Array.from({ length: P * P }, (_, p) => rmT.patchRows.reduce((a, r) => a + r[p]!, 0) / rmT.patchRows.length);
  const sd = mu.map((m0, p) => Math.sqrt(rmT.patchRows.reduce((a, r) => a + (r[p]! - m0) ** 2, 0) / rmT.patchRows.length) || 1);
  const patchZ = rmV.patchRows.map((r) => Math.max(...r.map((v, p) => (v - mu[p]!) / sd[p]!)));
  res['residual patch z max'] = rocAuc(labels, patchZ);
  // feature residual: in-painting queries of the image vs of its reconstruction, per position;
  // and the pixel residual of blurred images (avgPool 4x4 of both)
  {
    const fr: number[][] = [];
    const blurRes: number[] = [];
    for (let s0 = 0; s0 < nv; s0 += 16) {
      const k = Math.min(16, nv - s0);
      const [d, b] = tf.tidy(() => {
        const x = tf.tensor4d(val.x.subarray(s0 * size * size, (s0 + k) * size * size), [k, size, size, 1]);
        const r = model.reconstruct(x);
        const inpm = m.inpainting!.bottleneck1;
        const qx = tf.reshape(inpm.apply(m.encoder.apply(x, inferenceContext()).bottleneck, inferenceContext()), [k, P * P, -1]);
        const qr = tf.reshape(inpm.apply(m.encoder.apply(r, inferenceContext()).bottleneck, inferenceContext()), [k, P * P, -1]);
        const blur = (t: tf.Tensor4D) => tf.avgPool(t, 4, 4, 'valid');
        return [tf.mean(tf.squaredDifference(qx, qr), 2), tf.mean(tf.squaredDifference(blur(x), blur(r)), [1, 2, 3])];
      });
      fr.push(...(d.arraySync() as number[][]));
      blurRes.push(...(b.arraySync() as number[]));
      tf.dispose([d, b]);
    }
    res['feature residual max'] = rocAuc(labels, fr.map((r) => Math.max(...r)));
    res['feature residual mean'] = rocAuc(labels, fr.map((r) => r.reduce((a, c) => a + c, 0)));
    res['blurred residual'] = rocAuc(labels, blurRes);
  }
  // teacher-student discrepancy per patch position: sum over decoder levels of the mean squared
  // difference inside each patch; max (and mean) over the P x P positions
  const stPatch = (px: Float32Array): { max: number[]; mean: number[]; rows: number[][] } => {
    const out = { max: [] as number[], mean: [] as number[], rows: [] as number[][] };
    if (!m.teacher || !m.inpainting) return out;
    const n = px.length / (size * size);
    for (let s0 = 0; s0 < n; s0 += 16) {
      const k = Math.min(16, n - s0);
      const d = tf.tidy(() => {
        const x = tf.tensor4d(px.subarray(s0 * size * size, (s0 + k) * size * size), [k, size, size, 1]);
        const enc = m.encoder.apply(x, inferenceContext());
        let s = m.inpainting!.apply(enc.bottleneck, inferenceContext()).features;
        let t = enc.bottleneck;
        let acc = tf.zeros([k, P * P]);
        const L = m.student.levels;
        for (let i = 0; i < L; i++) {
          const skip = enc.skips[L - 1 - i]!;
          s = m.student.level(i, s, skip, inferenceContext());
          t = m.teacher!.level(i, t, skip, inferenceContext());
          const e = tf.mean(tf.squaredDifference(s, t), 3, true) as tf.Tensor4D; // [n,h,w,1]
          const per = e.shape[0] === k * P * P
            ? tf.reshape(tf.mean(e, [1, 2, 3]), [k, P * P])
            : tf.reshape(tf.avgPool(e, e.shape[1] / P, e.shape[1] / P, 'valid'), [k, P * P]);
          acc = tf.add(acc, per);
        }
        return acc;
      });
      const rows = d.arraySync() as number[][];
      d.dispose();
      for (const r of rows) {
        out.rows.push(r);
        out.max.push(Math.max(...r));
        out.mean.push(r.reduce((a, b) => a + b, 0) / r.length);
      }
    }
    return out;
  };
  const stV2 = stPatch(val.x);
  if (stV2.max.length === nv) {
    const stT2 = stPatch(trainPx);
    res['S-T patch max'] = rocAuc(labels, stV2.max);
    res['S-T patch mean'] = rocAuc(labels, stV2.mean);
    const mu = Array.from({ length: P * P }, (_, p) => stT2.rows.reduce((a, r) => a + r[p]!, 0) / stT2.rows.length);
    const sd = mu.map((m0, p) => Math.sqrt(stT2.rows.reduce((a, r) => a + (r[p]! - m0) ** 2, 0) / stT2.rows.length) || 1);
    res['S-T patch z max'] = rocAuc(labels, stV2.rows.map((r) => Math.max(...r.map((v, p) => (v - mu[p]!) / sd[p]!))));
  }
  const distV = Array.from(rawV.distillation, (v) => -v);
  res['distillation [kind]'] = rocAuc(labels, distV);
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(28)} ${v.toFixed(4)}`);
  // per anomaly type, for a few candidates
  const types = val.types ?? [];
  const kinds = [...new Set(types)].filter((t) => t !== 'normal');
  if (kinds.length > 1) {
    const cands: Record<string, number[]> = {
      residual: Array.from(rawV.residual, (v) => -v),
      'D(x)': Array.from(fv.dx, (v) => -v),
      'gauss-q mean': gqs.mean,
      distillation: distV,
      'residual patch max': rmV.patchMax,
      'S-T patch max': stV2.max,
      'residual patch z max': patchZ,
    };
    for (const [name, sc] of Object.entries(cands)) {
      if (sc.length !== nv) continue;
      const per = kinds.map((t) => {
        const idx = types.map((ty, i) => (ty === 'normal' || ty === t ? i : -1)).filter((i) => i >= 0);
        return `${t} ${rocAuc(idx.map((i) => labels[i]!), idx.map((i) => sc[i]!)).toFixed(3)}`;
      });
      console.log(`  per type, ${name}: ${per.join(', ')}`);
    }
  }
  model.dispose();
}

await main();
