/**
 * Exploration: space-aware nearest-neighbour scores on one trained model.
 * For each grid position, a bank of per-patch features of normal training
 * images (inference mode); an image's value at a position is the squared
 * distance of its patch feature to the nearest bank entry of that position,
 * z-scored per position on other normal training images, reduced by max
 * (and mean) over positions. Prints validation AUC per anomaly type.
 * With --gauss, the distance is instead the squared Mahalanobis distance to
 * a Gaussian of the bank's features at that position (--gauss position: a
 * covariance per position; shared: one for all), the covariance shrunk
 * toward the identity by --shrink times its mean variance.
 *   node dist/bench/bankScores.js --run R [--which best|checkpoint] [--bank 500] [--normals 300] [--gauss position --shrink 0.01]
 * Reads model internals on purpose (it is a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import type { SquidModules } from '../src/core/squid/squid.js';
import { splitPatches } from '../src/core/squid/patches.js';
import type { Skip } from '../src/core/squid/encoder.js';
import type { Block } from '../src/core/squid/residualBlock.js';
import { TacticalResidualBlock } from '../src/core/tactics/residualBlock.js';
import { trainingSource, generatedValSet } from '../src/node/train/data.js';
import { aucCells, aucTableHeader, concatF32, positionStats, reduceRows } from './positionScores.js';
import { inferenceContext } from '../src/core/squid/context.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    which: { type: 'string', default: 'best' },
    bank: { type: 'string', default: '500' },
    normals: { type: 'string', default: '300' },
    only: { type: 'string', default: '' },
    project: { type: 'string', default: '0' },
    k: { type: 'string', default: '1' },
    gauss: { type: 'string', default: '' },
    shrink: { type: 'string', default: '0.01' },
  },
});

/** The feature kinds asked for with --only (all when empty). */
const only = (values.only as string).split(',').filter(Boolean);
const wanted = (k: string): boolean => only.length === 0 || only.includes(k);

/** name -> per-patch rows [n*N, d] (image-major) */
type Feats = Record<string, { data: Float32Array; d: number }>;

async function features(m: SquidModules, pixels: Float32Array, size: number, P: number): Promise<Feats> {
  const per = size * size;
  const n = pixels.length / per;
  const parts: Record<string, Float32Array[]> = {};
  const dims: Record<string, number> = {};
  // the blocks' own math: the model's tactical forms consume the full-image level inputs kept here
  const mathOf = (b: Block): Block => (b instanceof TacticalResidualBlock ? b.math : b);
  const enc = { inBlock: mathOf(m.encoder.inBlock), downs: m.encoder.downs.map(mathOf) };
  for (let s = 0; s < n; s += 16) {
    const B = Math.min(16, n - s);
    const f = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * per, (s + B) * per), [B, size, size, 1]);
      const r: Record<string, tf.Tensor> = {};
      const patches = splitPatches(x, P);
      r.pixels = patches;
      let h = enc.inBlock.apply(patches, inferenceContext());
      r.enc0 = h;
      enc.downs.forEach((down, i) => {
        h = down.apply(h, inferenceContext());
        r[`enc${i + 1}`] = h;
      });
      const { bottleneck, skips } = m.encoder.apply(x, inferenceContext());
      const inp = m.inpainting?.apply(bottleneck, inferenceContext());
      if (inp) r.queries = inp.queries;
      let st = inp ? inp.features : bottleneck;
      let te = bottleneck;
      const skip = skips[m.student.levels - 1] as Skip;
      if (m.positionHead) {
        const deepest = skips[skips.length - 1] as tf.Tensor4D;
        const N = P * P;
        const logits = m.positionHead.logits(deepest); // [n*N, N]
        const own = tf.sum(tf.mul(logits, tf.tile(tf.eye(N), [logits.shape[0] / N, 1])), 1); // each row's own position's logit
        r.headnll = tf.reshape(tf.neg(m.positionHead.logProbs(deepest)), [-1, 1]);
        r.headlogit = tf.reshape(tf.neg(own), [-1, 1]);
        r.headenergy = tf.reshape(tf.neg(tf.logSumExp(logits, 1)), [-1, 1]);
      }
      st = m.student.level(0, st, skip, inferenceContext());
      r.student0 = st;
      if (m.teacher) {
        te = m.teacher.level(0, te, skip, inferenceContext());
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
    for (const [k, t] of Object.entries(f)) {
      if (!wanted(k)) continue;
      (parts[k] ??= []).push((await t.data()) as Float32Array);
      dims[k] = t.shape[1] as number;
    }
    tf.dispose(Object.values(f));
  }
  return Object.fromEntries(Object.entries(parts).map(([k, a]) => [k, { data: concatF32(a), d: dims[k] as number }]));
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

/** Lower-triangular L with A = L L^T (A symmetric positive definite, d x d, row-major). */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * d + j]!;
    }
  }
  return l;
}

/** The inverse of A = L L^T, from L (d x d, row-major). */
function inverseFromCholesky(l: Float64Array, d: number): Float32Array {
  const linv = new Float64Array(d * d); // L^-1, lower triangular
  for (let j = 0; j < d; j++) {
    linv[j * d + j] = 1 / l[j * d + j]!;
    for (let i = j + 1; i < d; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * d + k]! * linv[k * d + j]!;
      linv[i * d + j] = s / l[i * d + i]!;
    }
  }
  return tf.tidy(() => {
    const m = tf.tensor2d(Float32Array.from(linv), [d, d]);
    return tf.matMul(m, m, true, false).dataSync() as Float32Array; // L^-T L^-1
  });
}

/**
 * Gaussians of the bank's features per position (means per position; one
 * covariance shared by all positions, or one per position), shrunk toward
 * the identity by `shrink` times the mean variance. Returns q's squared
 * Mahalanobis distance to its own position's Gaussian, [n, N].
 */
function mahalanobis(bank: { data: Float32Array; d: number }, q: { data: Float32Array; d: number }, N: number, shared: boolean): Float32Array {
  const d = bank.d;
  const b = tf.tensor3d(bank.data, [bank.data.length / d / N, N, d]);
  const mu = tf.mean(b, 0); // [N,d]
  const c = tf.sub(b, mu); // [T,N,d]
  const covs: tf.Tensor2D[] = [];
  const perPos = tf.unstack(tf.transpose(c, [1, 0, 2])) as tf.Tensor2D[]; // N x [T,d]
  if (shared) {
    const all = tf.concat(perPos, 0);
    covs.push(tf.div(tf.matMul(all, all, true, false), all.shape[0]));
  } else for (const x of perPos) covs.push(tf.div(tf.matMul(x, x, true, false), x.shape[0]));
  const precisions = covs.map((cov) => {
    const a = Float64Array.from(cov.dataSync());
    let tr = 0;
    for (let i = 0; i < d; i++) tr += a[i * d + i]!;
    const eps = (Number(values.shrink) * tr) / d;
    for (let i = 0; i < d; i++) a[i * d + i] = a[i * d + i]! + eps;
    return inverseFromCholesky(cholesky(a, d), d);
  });
  const out = tf.tidy(() => {
    const x = tf.sub(tf.tensor3d(q.data, [q.data.length / d / N, N, d]), mu); // [n,N,d]
    const cols = Array.from({ length: N }, (_, p) => {
      const xp = tf.squeeze(tf.slice(x, [0, p, 0], [-1, 1, -1]), [1]) as tf.Tensor2D; // [n,d]
      const prec = tf.tensor2d(precisions[shared ? 0 : p]!, [d, d]);
      return tf.sum(tf.mul(tf.matMul(xp, prec), xp), 1); // [n]
    });
    return tf.stack(cols, 1).dataSync() as Float32Array; // [n,N]
  });
  tf.dispose([b, mu, c, ...covs, ...perPos]);
  return out;
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
  const rows = aucTableHeader(['features (d)', 'reduce']);
  const pd = Number(values.project);
  if (pd > 0) {
    for (const k of Object.keys(v)) {
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
  const zmaps: Record<string, Float32Array> = {};
  for (const k of Object.keys(v)) {
    // head*: the position head's -log p(own position), -(own logit), -logsumexp(logits): a value per patch rather than a feature
    const gauss = values.gauss as string;
    const value = (f: { data: Float32Array; d: number }): Float32Array =>
      k.startsWith('head') ? f.data : gauss ? mahalanobis(bank[k]!, f, N, gauss === 'shared') : nearest(bank[k]!, f, N);
    const st = positionStats(value(ref[k]!), N);
    const dv = value(v[k]!);
    const z = (x: number, p: number) => (x - st.mu[p]!) / st.sd[p]!;
    zmaps[k] = dv.map((x, i) => z(x, i % N));
    const variants: [string, (x: number, p: number) => number, 'max' | 'mean'][] = [
      ['max', z, 'max'],
      ['mean', z, 'mean'],
      ['max, no z', (x) => x, 'max'],
      ['max, z by mean only', (x, p) => x / st.mu[p]!, 'max'],
    ];
    for (const [how, f, red] of variants) rows.push(`| ${k} (${v[k]!.d}) | ${how} | ${aucCells(val, reduceRows(dv, N, f, red))} |`);
  }
  const ks = Object.keys(zmaps);
  for (let a = 0; a < ks.length; a++) {
    for (let b = a + 1; b < ks.length; b++) {
      const zb = zmaps[ks[b]!]!;
      const sum = zmaps[ks[a]!]!.map((x, i) => x + zb[i]!);
      rows.push(`| ${ks[a]} + ${ks[b]} | max | ${aucCells(val, reduceRows(sum, N, (x) => x, 'max'))} |`);
    }
  }
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
