/**
 * A trained SQUID model with its run's score statistics: scores images
 * (1 - sigmoid(z), higher = more anomalous), labels them at the stored
 * threshold, reconstructs them and makes heatmaps. Browser-safe: the model
 * and statistics are passed in (Node's loadDetector reads them from a run).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiscriminatorBnMode, SquidModel } from '../../core/squid/types.js';
import { presetScore, type Preset } from '../../core/squid/presets.js';
import type { ScoringJson, ScoreStats } from '../io/runDir.js';
import { anomalyScores, rawOf, scoreImages, type RawScores, type ScoreKind } from '../../core/score/scorer.js';
import { SquidError } from '../../core/util/errors.js';

export type HeatmapKind = 'gradcam' | 'residual';
export const HEATMAP_KINDS: readonly HeatmapKind[] = ['gradcam', 'residual'];

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

  constructor(
    readonly model: SquidModel,
    readonly scoring: ScoringJson,
    opts: DetectorOptions = {},
  ) {
    this.size = model.preset.model.imageSize;
    this.kind = opts.kind ?? presetScore(model.preset);
    this.bn = opts.bn ?? 'per-image';
  }

  get preset(): Preset {
    return this.model.preset;
  }

  stats(kind: ScoreKind = this.kind): ScoreStats {
    return this.scoring[kind];
  }

  /** Pixels of one image, checked. */
  private pixels(image: DetectorInput): Float32Array {
    const n = this.size * this.size;
    if (image instanceof Float32Array) {
      if (image.length !== n) throw new RangeError(`expected ${this.size}x${this.size} = ${n} values, got ${image.length}`);
      return image;
    }
    if (image.size !== n) throw new RangeError(`expected a ${this.size}x${this.size} image tensor, got shape [${image.shape}]`);
    return image.dataSync() as Float32Array;
  }

  /** Raw scores of n images held in `pixels` (n*S*S): the given kinds, default all. */
  rawScores(pixels: Float32Array, kinds?: readonly ScoreKind[]): Promise<RawScores> {
    return scoreImages(this.model, pixels, this.size, { bn: this.bn, kinds });
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
   * the score is computed from; or |x - reconstruction| scaled to its maximum.
   */
  async heatmap(image: DetectorInput, kind: HeatmapKind = 'gradcam'): Promise<{ heatmap: Float32Array; reconstruction: Float32Array }> {
    const x = tf.tensor4d(this.pixels(image), [1, this.size, this.size, 1]);
    const recon = this.model.reconstruct(x);
    const h = kind === 'gradcam'
      ? this.model.gradCam(recon)
      : tf.tidy(() => {
          const d = tf.abs(tf.sub(x, recon));
          return tf.div(d, tf.maximum(tf.max(d), 1e-12)) as tf.Tensor4D;
        });
    const [heatmap, reconstruction] = [(await h.data()) as Float32Array, (await recon.data()) as Float32Array];
    tf.dispose([x, recon, h]);
    return { heatmap, reconstruction };
  }

  dispose(): void {
    this.model.dispose();
  }
}
