/**
 * Exploration: per-patch (per grid position) scores on one trained model.
 * An anomaly on DigitAnatomy changes one or two of the nine patches; an
 * image-level mean dilutes it with the other patches' noise. This measures
 * each candidate's validation AUC per anomaly type when the per-patch values
 * are z-scored per position (mean and std over normal training images only)
 * and reduced by max.
 *   node dist/bench/tileScores.js --run R [--which best|checkpoint] [--normals 300] [--train-images 300]
 * Reads model internals on purpose (it is a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import type { SquidModules } from '../src/core/squid/squid.js';
import { splitPatches } from '../src/core/squid/patches.js';
import type { Skip } from '../src/core/squid/encoder.js';
import { trainingSource, generatedValSet } from '../src/node/train/data.js';
import { aucCells, aucTableHeader, concatF32, positionStats, reduceRows } from './positionScores.js';
import { inferenceContext } from '../src/core/squid/context.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    which: { type: 'string', default: 'best' },
    normals: { type: 'string', default: '300' },
    'train-images': { type: 'string', default: '300' },
  },
});

/** Per-patch maps of one batch: name -> [n, N] */
type PatchMaps = Record<string, Float32Array>;

/** [B or B*N, h, w, c] -> [B, N] mean over each patch's share. */
function perPatch(t: tf.Tensor4D, B: number, P: number): tf.Tensor2D {
  const rows = t.shape[0] === B ? splitPatches(t, P) : t;
  return tf.reshape(tf.mean(tf.reshape(rows, [B * P * P, -1]), 1), [B, P * P]);
}

async function patchMaps(m: SquidModules, pixels: Float32Array, size: number, P: number): Promise<PatchMaps> {
  const per = size * size;
  const n = pixels.length / per;
  const out: Record<string, Float32Array[]> = {};
  for (let s = 0; s < n; s += 16) {
    const B = Math.min(16, n - s);
    const maps = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * per, (s + B) * per), [B, size, size, 1]);
      const { bottleneck, skips } = m.encoder.apply(x, inferenceContext());
      let st = m.inpainting ? m.inpainting.apply(bottleneck, inferenceContext()).features : bottleneck;
      let te = bottleneck;
      const r: Record<string, tf.Tensor2D> = {};
      const L = m.student.levels;
      for (let i = 0; i < L; i++) {
        const skip = skips[L - 1 - i] as Skip;
        st = m.student.level(i, st, skip, inferenceContext());
        te = (m.teacher as NonNullable<SquidModules['teacher']>).level(i, te, skip, inferenceContext());
        r[`gap${i}`] = perPatch(tf.squaredDifference(st, te) as tf.Tensor4D, B, P);
      }
      const recon = m.student.output(st, inferenceContext());
      const teacherRecon = (m.teacher as NonNullable<SquidModules['teacher']>).output(te, inferenceContext());
      r.residual = perPatch(tf.squaredDifference(recon, x) as tf.Tensor4D, B, P);
      r.teacherResidual = perPatch(tf.squaredDifference(teacherRecon, x) as tf.Tensor4D, B, P);
      r.reconGap = perPatch(tf.squaredDifference(recon, teacherRecon) as tf.Tensor4D, B, P);
      return r;
    });
    for (const [k, t] of Object.entries(maps)) (out[k] ??= []).push((await t.data()) as Float32Array);
    tf.dispose(Object.values(maps));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, concatF32(v)]));
}

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const run = values.run as string;
  const { cfg, m } = await loadRunModel(run, values.which as string);
  const preset = cfg.preset;
  const size = preset.model.imageSize;
  const P = preset.model.patchesPerSide;
  const N = P * P;
  const source = await trainingSource('digitanatomy', preset, 123);
  const train = await patchMaps(m, source.sample(Number(values['train-images'])), size, P);
  const val = await generatedValSet(preset, 7, Number(values.normals));
  const v = await patchMaps(m, val.x, size, P);
  const rows = aucTableHeader(['candidate']);
  const report = (name: string, score: number[]): void => {
    rows.push(`| ${name} | ${aucCells(val, score)} |`);
  };
  const z: Record<string, number[]> = {};
  for (const k of Object.keys(v)) {
    const st = positionStats(train[k]!, N);
    report(`${k} mean`, reduceRows(v[k]!, N, (x) => x, 'mean'));
    report(`${k} max`, reduceRows(v[k]!, N, (x) => x, 'max'));
    z[k] = reduceRows(v[k]!, N, (x, p) => (x - st.mu[p]!) / st.sd[p]!, 'max');
    report(`${k} z-max`, z[k]!);
  }
  const gapKeys = Object.keys(v).filter((k) => k.startsWith('gap'));
  const gapSum = new Float32Array(v[gapKeys[0]!]!.length);
  const gapSumT = new Float32Array(train[gapKeys[0]!]!.length);
  for (const k of gapKeys) {
    v[k]!.forEach((x, i) => (gapSum[i]! += x));
    train[k]!.forEach((x, i) => (gapSumT[i]! += x));
  }
  const st = positionStats(gapSumT, N);
  report('gap (all levels) z-max', reduceRows(gapSum, N, (x, p) => (x - st.mu[p]!) / st.sd[p]!, 'max'));
  report('gap z-max + residual z-max', z.residual!.map((r, i) => r + Math.max(...gapKeys.map((k) => z[k]![i]!))));
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
