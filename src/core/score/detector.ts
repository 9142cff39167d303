/**
 * A trained SQUID model with its score statistics: the one scorer of
 * squid-ts, in Node (squid score, eval, the API) and in the browser app.
 * It scores images (1 - sigmoid(z), higher = more anomalous), labels them
 * at the stored threshold, reconstructs them and makes heatmaps.
 * Browser-safe: the model and statistics are passed in (Node's loadDetector
 * reads them from a run or an export folder; the app from the files picked).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiscriminatorBnMode, SquidModel } from '../model/types.js';
import { presetScore, type Preset } from '../squid/presets.js';
import { statsOf, type ScoringJson, type ScoreStats } from './stats.js';
import type { SquidJson } from '../export/squidJson.js';
import { anomalyScores, combineRaw, rawOf, scoreBatch, scoreImages, type RawScores, type ScoreKind } from './scorer.js';
import { SquidError } from '../util/errors.js';
import { compileForInference, type CompiledInference } from '../tactics/compile.js';

export type HeatmapKind = 'gradcam' | 'residual' | 'memory' | 'position';
export const HEATMAP_KINDS: readonly HeatmapKind[] = ['gradcam', 'residual', 'memory', 'position'];

/** A patch this many standard deviations further from its nearest normal patches than normal patches are shows at full heat. */
export const MEMORY_HEAT_FULL_Z = 4;

export interface ImageScore {
  /** Anomaly score in (0, 1): 1 - sigmoid((raw - mean) / std); higher = more anomalous. */
  score: number;
  /** true when score >= the stored threshold. */
  anomalous: boolean;
  threshold: number;
  kind: ScoreKind;
  /** The raw normality value (discriminator logit, or -MSE). */
  raw: number;
}

export interface KindScore {
  /** Raw normality (higher = more normal). */
  raw: number;
  /** Anomaly score in (0, 1), higher = more anomalous (null without statistics for the kind). */
  anomaly: number | null;
}

/** What Detector.inspect gives for one image. */
export interface Inspection {
  scores: Partial<Record<ScoreKind, KindScore>>;
  /** The primary score's anomaly value. */
  score: number;
  /** Abnormal at the stored threshold; null without one. */
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

function clock(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** An image given to the detector: size*size values in [0, 1], or a [S,S], [S,S,1] or [1,S,S,1] tensor. */
export type DetectorInput = Float32Array | tf.Tensor;

export interface DetectorOptions {
  /** Score kind used by score() (default: the preset's score kind). */
  kind?: ScoreKind;
  /** Discriminator batch norm while scoring (default per-image, as the reference). */
  bn?: DiscriminatorBnMode;
}

export class Detector {
  readonly size: number;
  kind: ScoreKind;
  readonly bn: DiscriminatorBnMode;
  /** The model compiled for inference for the detector's life (its weights never change). */
  private readonly compiled: CompiledInference;

  constructor(
    readonly model: SquidModel,
    readonly scoring: ScoringJson,
    opts: DetectorOptions = {},
  ) {
    this.size = model.preset.model.imageSize;
    this.kind = opts.kind ?? presetScore(model.preset);
    this.bn = opts.bn ?? 'per-image';
    this.compiled = compileForInference(model);
  }

  /** A detector from an export: its model and squid.json (the score statistics, in scoring.json's format). */
  static fromExport(model: SquidModel, info: SquidJson, opts: DetectorOptions = {}): Detector {
    return new Detector(model, info.scoring, { kind: opts.kind ?? info.primaryScore, bn: opts.bn });
  }

  get preset(): Preset {
    return this.model.preset;
  }

  stats(kind: ScoreKind = this.kind): ScoreStats {
    return statsOf(this.scoring, kind);
  }

  /** Pixels of one image, checked. */
  private pixels(image: DetectorInput): Float32Array {
    const n = this.size * this.size;
    if (typeof image === 'string') {
      throw new TypeError(`a Detector scores pixels, not file names ("${image}"): load the image first (loadImageFor(detector, path) in Node)`);
    }
    if (image instanceof Float32Array) {
      if (image.length !== n) throw new RangeError(`expected ${this.size}x${this.size} = ${n} values, got ${image.length}`);
      return image;
    }
    if (image.size !== n) throw new RangeError(`expected a ${this.size}x${this.size} image tensor, got shape [${image.shape}]`);
    return image.dataSync() as Float32Array;
  }

  /** Raw scores of n images held in `pixels` (n*S*S): the given kinds, default all (combined kinds from their parts and the stored statistics); onProgress: images scored so far, after each batch. */
  async rawScores(pixels: Float32Array, kinds: readonly ScoreKind[] = this.model.scoreKinds, opts: { onProgress?: (done: number) => void } = {}): Promise<RawScores> {
    return combineRaw(await scoreImages(this.model, pixels, this.size, { bn: this.bn, kinds, onProgress: opts.onProgress }), kinds, this.scoring);
  }

  /** Scores of raw values of one kind at the stored statistics. */
  fromRaw(raw: ArrayLike<number>, kind: ScoreKind = this.kind): ImageScore[] {
    const s = this.stats(kind);
    if (!Number.isFinite(s.threshold)) {
      throw new SquidError(`no statistics or threshold for the ${kind} score were stored with this model; use its primary score (--score ${this.kind})`);
    }
    const scores = anomalyScores(raw, s.mean, s.std);
    return Array.from(scores, (score, i) => ({
      score,
      anomalous: score >= s.threshold,
      threshold: s.threshold,
      kind,
      raw: raw[i] as number,
    }));
  }

  /** Score one image. */
  async score(image: DetectorInput, kind: ScoreKind = this.kind): Promise<ImageScore> {
    const raw = await this.rawScores(this.pixels(image), [kind]);
    return this.fromRaw(rawOf(raw, kind), kind)[0] as ImageScore;
  }

  /** Score several images (each scored on its own statistics: the batch does not matter). */
  async scoreMany(images: readonly DetectorInput[], kind: ScoreKind = this.kind): Promise<ImageScore[]> {
    const px = this.size * this.size;
    const all = new Float32Array(images.length * px);
    images.forEach((im, i) => all.set(this.pixels(im), i * px));
    const raw = await this.rawScores(all, [kind]);
    return this.fromRaw(rawOf(raw, kind), kind);
  }

  /** The normal-looking reconstruction of one image: size*size values. */
  async reconstruct(image: DetectorInput): Promise<Float32Array> {
    const x = tf.tensor4d(this.pixels(image), [1, this.size, this.size, 1]);
    const r = this.model.reconstruct(x);
    const out = (await r.data()) as Float32Array;
    x.dispose();
    r.dispose();
    return out;
  }

  /**
   * A heatmap in [0, 1] (size*size) of one image: Grad-CAM of the
   * discriminator logit at its last conv layer, taken on the reconstruction
   * the score is computed from; |x - reconstruction| scaled to its maximum;
   * (memory) each patch's z-scored distance to the nearest normal patch
   * of its position, z / MEMORY_HEAT_FULL_Z clamped to [0, 1], constant over
   * the patch; or (position) 1 - the probability the position head gives
   * each patch's own position, constant over the patch. Default: the
   * memory and position scores' own kinds (input+position: position's), else Grad-CAM.
   */
  async heatmap(image: DetectorInput, kind: HeatmapKind = this.defaultHeatmap): Promise<{ heatmap: Float32Array; reconstruction: Float32Array }> {
    const x = tf.tensor4d(this.pixels(image), [1, this.size, this.size, 1]);
    const recon = this.model.reconstruct(x);
    const h = this.heatOf(x, recon, kind);
    const [heatmap, reconstruction] = [(await h.data()) as Float32Array, (await recon.data()) as Float32Array];
    tf.dispose([x, recon, h]);
    return { heatmap, reconstruction };
  }

  /** The heatmap this detector's score explains best. */
  get defaultHeatmap(): HeatmapKind {
    if (this.kind === 'memory') return 'memory';
    return this.kind === 'position' || this.kind === 'input+position' ? 'position' : 'gradcam';
  }

  /** x, recon [1,S,S,1] -> [1,S,S,1] in [0, 1] */
  private heatOf(x: tf.Tensor4D, recon: tf.Tensor4D, kind: HeatmapKind): tf.Tensor4D {
    if (kind === 'gradcam') return this.model.gradCam(recon);
    return tf.tidy(() => {
      const P = this.preset.model.patchesPerSide;
      if (kind === 'position') {
        const heat = tf.sub(1, tf.exp(tf.reshape(this.model.positionLogProbs(x), [1, P, P, 1]))) as tf.Tensor4D;
        return tf.image.resizeNearestNeighbor(heat, [this.size, this.size]);
      }
      if (kind === 'memory') {
        const z = tf.reshape(this.model.patchZ(x), [1, P, P, 1]);
        const heat = tf.clipByValue(tf.div(z, MEMORY_HEAT_FULL_Z), 0, 1) as tf.Tensor4D;
        return tf.image.resizeNearestNeighbor(heat, [this.size, this.size]);
      }
      const d = tf.abs(tf.sub(x, recon));
      return tf.div(d, tf.maximum(tf.max(d), 1e-12)) as tf.Tensor4D;
    });
  }

  /**
   * One image, looked at whole (the app's view): the raw and anomaly score
   * of every kind asked for (default all but "distillation" unless it is the
   * primary score: it runs the teacher decoder), the call at the threshold,
   * the reconstruction and the heatmap (defaultHeatmap), from one pass, with
   * its timings.
   */
  async inspect(image: DetectorInput, opts: { heatmap?: boolean; kinds?: readonly ScoreKind[] } = {}): Promise<Inspection> {
    const pixels = this.pixels(image);
    const s = this.size;
    const kinds = opts.kinds ?? this.model.scoreKinds.filter((k) => k !== 'distillation' || k === this.kind);
    const x = tf.tensor4d(pixels, [1, s, s, 1]);
    try {
      const t0 = clock();
      const r = await scoreBatch(this.model, x, { keepReconstruction: true, kinds, bn: this.bn });
      const recon = r.reconstruction as tf.Tensor4D; // [1,S,S,1]
      let reconstruction: Float32Array;
      let heatmap = new Float32Array(s * s);
      let t1: number;
      try {
        reconstruction = Float32Array.from((await recon.data()) as Float32Array);
        t1 = clock();
        if (opts.heatmap !== false) {
          const heat = this.heatOf(x, recon, this.defaultHeatmap); // [1,S,S,1]
          heatmap = Float32Array.from((await heat.data()) as Float32Array);
          heat.dispose();
        }
      } finally {
        recon.dispose();
      }
      const t2 = clock();
      const scores: Partial<Record<ScoreKind, KindScore>> = {};
      const all = combineRaw(r.raw, kinds, this.scoring);
      for (const kind of kinds.filter((k) => all[k])) {
        const raw = rawOf(all, kind)[0] as number;
        const st = this.scoring[kind]; // an export may hold statistics for some kinds only
        scores[kind] = { raw, anomaly: st && Number.isFinite(st.mean) ? (anomalyScores([raw], st.mean, st.std)[0] as number) : null };
      }
      const primary = scores[this.kind]?.anomaly ?? null;
      const threshold = this.stats(this.kind).threshold;
      return {
        scores,
        score: primary as number,
        abnormal: primary !== null && Number.isFinite(threshold) ? primary >= threshold : null,
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

  /** Releases the compiled form (src/core/tactics/compile.ts) and leaves the model to its owner. */
  release(): void {
    this.compiled.release();
  }

  /** Releases the compiled form and disposes the model. */
  dispose(): void {
    this.compiled.release();
    this.model.dispose();
  }
}
