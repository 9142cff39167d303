/** DigitAnatomy: the synthetic benchmark of the SQUID paper (generator, benchmark writer, sample sheet). */
export {
  DigitAnatomy,
  ANOMALY_TYPES,
  GRID,
  isAnomalyType,
  type AnomalyType,
  type Crop,
  type Tile,
  type DigitAnatomyImage,
  type DigitAnatomyOptions,
} from './generator.js';
export { MNIST_SIDE, TRAIN_FRACTION, VAL_FRACTION, digitCount, digitSample, splitRange, type MnistDigits, type DigitSplit } from './digits.js';
export { loadMnistDigits } from './mnistNode.js';
export { createDigitAnatomy, type CreateDigitAnatomyOptions } from './create.js';
export { sampleSheet, type SampleSheet } from './sheet.js';
export { writeDigitAnatomy, typeCounts, type WriteDigitAnatomyOptions, type DigitAnatomySummary } from './benchmark.js';
