/**
 * Scores one image with a loaded export: the same computation in Node and in
 * the browser (src/core/score/scorer.ts's scoreBatch and anomalyScores), plus the
 * reconstruction and heatmap shown by the app. Browser-safe (tfjs-core only).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SquidModel } from '../squid/types.js';
import { anomalyScores, rawOf, scoreBatch } from './scorer.js';
import { SCORE_KINDS, type ScoreKind, type SquidJson } from '../export/squidJson.js';

export interface KindScore {
  /** Raw normality: discriminator logit of the reconstruction, or -MSE(x, reconstruction). */
  raw: number;
  /** Anomaly score in (0, 1), higher = more anomalous (null without normalization). */
  anomaly: number | null;
}

export interface ImageInference {
  /** Every kind but "distillation", which is computed only when it is the primary score (it runs the teacher decoder). */
  scores: Partial<Record<ScoreKind, KindScore>>;
  /** The primary score's anomaly value. */
  score: number;
  /** Abnormal at the stored threshold; null when the export has no threshold. */
  abnormal: boolean | null;
  /** size*size row-major, [0, 1]. */
  input: Float32Array;
  reconstruction: Float32Array;
  /** Discriminator Grad-CAM of the reconstruction, [0, 1]. */
  heatmap: Float32Array;
  /** Milliseconds for scores + reconstruction (data read back), without the heatmap. */
  scoreMs: number;
  /** Milliseconds for the heatmap. */
  heatmapMs: number;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Runs the model on one size x size grey image ([0, 1], row-major), alone in
 * its batch, so the discriminator's per-image batch norm never mixes images.
 */
export async function inferImage(
  model: SquidModel,
  info: SquidJson,
  pixels: Float32Array,
  opts: { heatmap?: boolean } = {},
): Promise<ImageInference> {
  const s = info.inputSize;
  if (pixels.length !== s * s) throw new RangeError(`image has ${pixels.length} values; the model needs ${s}x${s}`);
  const x = tf.tensor4d(pixels, [1, s, s, 1]);
  try {
    const t0 = now();
    const kinds = SCORE_KINDS.filter((k) => k !== 'distillation' || k === info.primaryScore);
    const r = await scoreBatch(model, x, { keepReconstruction: true, kinds });
    const recon = r.reconstruction as tf.Tensor4D; // [1,S,S,1]
    let reconstruction: Float32Array;
    let heatmap = new Float32Array(s * s);
    let t1: number;
    try {
      reconstruction = Float32Array.from((await recon.data()) as Float32Array);
      t1 = now();
      if (opts.heatmap !== false) {
        // Grad-CAM on the reconstruction the score comes from, as `squid score` (src/node/score/detector.ts)
        const heat = model.gradCam(recon); // [1,S,S,1]
        heatmap = Float32Array.from((await heat.data()) as Float32Array);
        heat.dispose();
      }
    } finally {
      recon.dispose();
    }
    const t2 = now();
    const scores: Partial<Record<ScoreKind, KindScore>> = {};
    for (const kind of kinds) {
      const raw = rawOf(r.raw, kind)[0] as number;
      const n = info.normalization[kind];
      scores[kind] = { raw, anomaly: n ? (anomalyScores([raw], n.mean, n.std)[0] as number) : null };
    }
    const th = info.threshold;
    const thScore = th ? (scores[th.score]?.anomaly ?? null) : null;
    return {
      scores,
      score: scores[info.primaryScore]?.anomaly as number,
      abnormal: th && thScore !== null ? thScore >= th.value : null,
      input: pixels,
      reconstruction,
      heatmap,
      scoreMs: t1 - t0,
      heatmapMs: t2 - t1,
    };
  } finally {
    x.dispose();
  }
}
