/** Shared dataset types. */

/** 0 = normal, 1 = abnormal. */
export type Label = 0 | 1;

/** One image of an evaluation (or labelled) set. */
export interface LabelledItem {
  path: string;
  label: Label;
  /** The class name it came from (sub-folder name, or "normal"/"abnormal" for CSV sets). */
  className: string;
}

/**
 * A batch of N grayscale images, each size x size, values in [0, 1].
 * x: N*size*size, row-major per image (N, H, W), ready for a [N, H, W, 1] tensor.
 */
export interface ImageBatch {
  x: Float32Array;
  paths: string[];
  size: number;
}
