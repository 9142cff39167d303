/**
 * Scores one image with a loaded export, as the browser app shows it: the
 * Detector's inspect() (one scorer for Node and the browser) on a detector
 * made from the export's squid.json. Browser-safe (tfjs-core only).
 */
import type { SquidModel } from '../model/types.js';
import type { SquidJson } from '../export/squidJson.js';
import { Detector, type Inspection, type KindScore } from './detector.js';

export type { KindScore };
export type ImageInference = Inspection;

/**
 * Runs the model on one size x size grey image ([0, 1], row-major), alone in
 * its batch, so the discriminator's per-image batch norm never mixes images.
 * The model stays the caller's (compiled for this call only: to score many
 * images, keep one Detector.fromExport).
 */
export async function inferImage(model: SquidModel, info: SquidJson, pixels: Float32Array, opts: { heatmap?: boolean } = {}): Promise<Inspection> {
  const s = info.inputSize;
  if (pixels.length !== s * s) throw new RangeError(`image has ${pixels.length} values; the model needs ${s}x${s}`);
  const detector = Detector.fromExport(model, info);
  try {
    return await detector.inspect(pixels, opts);
  } finally {
    detector.release();
  }
}
