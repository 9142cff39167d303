/** Datasets: labelled and normal folders, CheXpert CSVs, batching, augmentation. */
export type { Label, LabelledItem, ImageBatch } from './types.js';
export { classLabelOf, listImages, readLabelledFolder, readNormalFolder, type LabelledFolderOptions } from './folders.js';
export { parseChexpertCsv, readChexpertCsv, type ChexpertOptions } from './chexpert.js';
export {
  shuffledOrder,
  batchesOf,
  loadBatch,
  loadAll,
  epochBatches,
  inMemoryBatches,
  type BatchingOptions,
  type LoadBatchOptions,
  type EpochOptions,
  type SkippedFile,
} from './batches.js';
export { augment, affineImage, randomAffineParams, type AugmentOptions, type AffineParams } from './augment.js';
