/**
 * Presets: the whole configuration of a SQUID model and its training, as
 * typed data. Values follow ../shared/spec/squid-reference.md.
 * (Validation of JSON overrides lives in presetSchema.ts.)
 */
import { SquidError } from '../util/errors.js';

export interface AblationSwitches {
  /** false: one shared memory instead of one queue per patch position. */
  spaceAwareMemory: boolean;
  /** false: no in-painting block (bottleneck passes straight through). */
  inpainting: boolean;
  /** false: plain softmax read instead of Gumbel top-k shrinkage. */
  gumbelShrinkage: boolean;
  /** false: no distillation loss. */
  distillation: boolean;
  /** false: teacher input and skips are not stop-gradient copies. */
  stopGradient: boolean;
  /** 'queue': FIFO queue written with features; 'matrix': learned memory matrix. */
  memoryKind: 'queue' | 'matrix';
  /** false: no Bernoulli masked shortcut in training. */
  maskedShortcut: boolean;
  /** false: no decoder memory matrix blocks. */
  decoderMemory: boolean;
}

export interface ModelConfig {
  /** Input side in pixels (square, 1 channel). */
  imageSize: number;
  /** Patches per side (P). */
  patchesPerSide: number;
  /** Encoder channels: [input block, level 1, ..., level L]; bottleneck = last. */
  channels: number[];
  /** How many of the shallowest skips are re-assembled into full-image maps ("initial combine"). */
  initialCombine: number;
  /** Channels of the in-painting bottleneck projection (conv1x1 bottleneck -> this). */
  inpaintChannels: number;
  /** Slots per memory queue. */
  memorySlots: number;
  /** Slots per decoder memory matrix. */
  decoderMemorySlots: number;
  /**
   * Decoder memory window layout per memory level: windows per side of each
   * patch's map (2 for zhanglab: P x P windows; 1 for digitanatomy: whole map).
   */
  decoderMemoryWindows: number;
  /** Number of decoder levels (from the bottleneck) that get a decoder memory. */
  decoderMemoryLevels: number;
  /** Active entries kept by Gumbel top-k shrinkage (reference: 4). */
  shrinkageTopK: number;
  /** Attention heads of the in-painting transformer. */
  attentionHeads: number;
  /** Hidden width of the transformer feed-forward. */
  feedForwardDim: number;
  /** Keep-probability of the masked shortcut (Bernoulli). */
  maskKeepProb: number;
  /** Discriminator conv channels (5x5, stride 2, one layer each). */
  discriminatorChannels: number[];
  ablation: AblationSwitches;
  /** The space-aware patch memory of the `memory` score (patchMemory.ts); absent: none. */
  patchMemory?: PatchMemoryConfig;
  /**
   * Weight of the position task (positionHead.ts) in the generator's loss,
   * and with it the `position` score. Absent or 0: none.
   */
  positionLoss?: number;
}

/**
 * Space-aware patch memory: per grid position, `slots` features of normal
 * training patches (the deepest per-patch encoder map, randomly projected
 * to `dim` values), filled from normal images after training steps.
 */
export interface PatchMemoryConfig {
  slots: number;
  dim: number;
}

export interface LossWeights {
  reconstruction: number;
  teacher: number;
  distillation: number;
  generator: number;
  discriminator: number;
}

export interface TrainConfig {
  batchSize: number;
  epochs: number;
  /** Images per epoch when training on generated data (DigitAnatomy). */
  imagesPerEpoch: number;
  /** Generator step every n_critic iterations (discriminator step every iteration). */
  nCritic: number;
  generatorLr: number;
  discriminatorLr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Generator weight decay (L2 added to the gradient, as torch.optim.Adam). */
  weightDecay: number;
  /** Cosine annealing period in epochs (T_max). */
  cosinePeriod: number;
  /** Final lr as a fraction of the initial lr (eta_min / lr). */
  cosineMinFactor: number;
  /** Augmentation: max translation as a fraction of the side. */
  augmentTranslate: number;
  /** Augmentation: scale range [lo, hi]. */
  augmentScale: [number, number];
  lossWeights: LossWeights;
}

/**
 * How an image is scored (raw "normality" values, higher = more normal):
 *   memory: -(the largest, over grid positions, z-scored distance of the
 *     patch's feature to the nearest feature of normal training patches at
 *     that position in the patch memory); only models with a patch memory;
 *   discriminator: D(student reconstruction), the paper's score;
 *   residual: -MSE(x, reconstruction);
 *   input: D(x), the discriminator's logit of the input image itself;
 *   distillation: -(the image's distillation term): how far the student
 *     decoder, bound to its memories, strays from the memory-free teacher;
 *   position: the smallest, over grid positions, log-probability that the
 *     position head gives the patch's own position: how surely every patch
 *     sits where it belongs; only models with a position task;
 *   input+position: a combined kind (COMBINED_SCORE_PARTS): the sum of its
 *     parts' standardized values, each (raw - mean) / std with the mean and
 *     std over normal training images, so fitted on normal images only.
 */
export type ScoreKind = 'discriminator' | 'residual' | 'input' | 'distillation' | 'memory' | 'position' | 'input+position';
export const SCORE_KINDS: readonly ScoreKind[] = ['discriminator', 'residual', 'input', 'distillation', 'memory', 'position', 'input+position'];

/** The combined kinds, each with its parts (measured kinds). */
export type CombinedScoreKind = 'input+position';
export const COMBINED_SCORE_PARTS: Readonly<Record<CombinedScoreKind, readonly MeasuredScoreKind[]>> = { 'input+position': ['input', 'position'] };
/** The kinds a forward pass measures (every kind but the combined ones). */
export type MeasuredScoreKind = Exclude<ScoreKind, CombinedScoreKind>;

export function isCombinedKind(kind: string): kind is CombinedScoreKind {
  return Object.hasOwn(COMBINED_SCORE_PARTS, kind);
}

/** The measured kinds that kinds need: each measured kind itself, each combined kind's parts; no repeats, in SCORE_KINDS order. */
export function measuredKinds(kinds: readonly ScoreKind[]): MeasuredScoreKind[] {
  const need = new Set<ScoreKind>(kinds.flatMap((k) => (isCombinedKind(k) ? COMBINED_SCORE_PARTS[k] : [k])));
  return SCORE_KINDS.filter((k): k is MeasuredScoreKind => need.has(k) && !isCombinedKind(k));
}

/** The kinds only some models have. */
export type OptionalScoreKind = 'memory' | 'position' | 'input+position';
export const OPTIONAL_SCORE_KINDS: readonly OptionalScoreKind[] = ['memory', 'position', 'input+position'];

export function isOptionalKind(kind: string): kind is OptionalScoreKind {
  return (OPTIONAL_SCORE_KINDS as readonly string[]).includes(kind);
}

/** Whether a model of this configuration computes an optional kind, and what it needs otherwise. */
export function optionalKindNeeds(model: ModelConfig, kind: OptionalScoreKind): string | undefined {
  if (kind === 'memory') return model.patchMemory ? undefined : 'model.patchMemory';
  // a combined kind needs what its parts need ("input+position": the position task)
  return (model.positionLoss ?? 0) > 0 ? undefined : 'model.positionLoss > 0';
}

/** The score kinds a model of this configuration computes ("memory" needs a patch memory, "position" a position task). */
export function scoreKindsOf(model: ModelConfig): readonly ScoreKind[] {
  return SCORE_KINDS.filter((k) => !isOptionalKind(k) || !optionalKindNeeds(model, k));
}

/** What each score kind is, in words for reports and the app. */
export const SCORE_KIND_LABELS: Readonly<Record<ScoreKind, string>> = {
  discriminator: "the discriminator's logit of the reconstruction (the paper's score)",
  residual: 'the reconstruction error (mean squared)',
  input: "the discriminator's logit of the input image",
  distillation: 'the teacher-student gap (distillation term) of the image',
  memory: "the distance of the image's patches to the nearest normal patches in the space-aware patch memory",
  position: "how surely the position head places each of the image's patches at its own grid position",
  'input+position': "the discriminator's logit of the input image plus the position score, each standardized on normal training images",
};

export interface Preset {
  name: string;
  model: ModelConfig;
  train: TrainConfig;
  /**
   * The default score kind: it picks the best epoch and is the detector's,
   * the report's and the export's primary score. Chosen per preset from
   * validation measurements (docs/detection.md). Absent in runs made before
   * it existed: those used the discriminator score.
   */
  score?: ScoreKind;
}

/** A preset's default score kind. */
export function presetScore(preset: Preset): ScoreKind {
  return preset.score ?? 'discriminator';
}

export const PRESET_NAMES = ['zhanglab', 'zhanglab-fast', 'chexpert', 'digitanatomy', 'digitanatomy-fast', 'tiny'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Switches of the full model (every Table-2 component on). */
export const FULL_MODEL: AblationSwitches = {
  spaceAwareMemory: true,
  inpainting: true,
  gumbelShrinkage: true,
  distillation: true,
  stopGradient: true,
  memoryKind: 'queue',
  maskedShortcut: true,
  decoderMemory: true,
};

/** One Table-2 row: the switch it flips relative to FULL_MODEL. */
export interface AblationRow {
  /** Short id usable on the command line. */
  id: string;
  /** The paper's row label. */
  label: string;
  /** Published ZhangLab AUC of the row (spec). */
  paperAuc: number;
  switches: Partial<AblationSwitches>;
}

export const ABLATIONS: readonly AblationRow[] = [
  { id: 'no-space-aware-memory', label: 'w/o space-aware memory', paperAuc: 77.6, switches: { spaceAwareMemory: false } },
  { id: 'no-inpainting', label: 'w/o in-painting block', paperAuc: 80.9, switches: { inpainting: false } },
  { id: 'no-gumbel', label: 'w/o Gumbel shrinkage', paperAuc: 81.1, switches: { gumbelShrinkage: false } },
  { id: 'no-distillation', label: 'w/o distillation', paperAuc: 81.2, switches: { distillation: false } },
  { id: 'no-stop-gradient', label: 'w/o stop-gradient', paperAuc: 81.7, switches: { stopGradient: false } },
  { id: 'memory-matrix', label: 'memory matrix instead of queue', paperAuc: 82.5, switches: { memoryKind: 'matrix' } },
  { id: 'no-masked-shortcut', label: 'w/o masked shortcut', paperAuc: 82.5, switches: { maskedShortcut: false } },
  { id: 'no-decoder-memory', label: 'w/o decoder memory', paperAuc: 82.9, switches: { decoderMemory: false } },
];

const ZHANGLAB_LOSS: LossWeights = { reconstruction: 10, teacher: 0.01, distillation: 0.001, generator: 0.005, discriminator: 0.005 };
const DIGIT_LOSS: LossWeights = { reconstruction: 1, teacher: 0.01, distillation: 0.001, generator: 0.005, discriminator: 0.005 };

const ZHANGLAB_MODEL: ModelConfig = {
  imageSize: 128,
  patchesPerSide: 2,
  channels: [32, 64, 128, 256, 512],
  initialCombine: 2,
  inpaintChannels: 128,
  memorySlots: 200,
  decoderMemorySlots: 200,
  decoderMemoryWindows: 2,
  decoderMemoryLevels: 2,
  shrinkageTopK: 4,
  attentionHeads: 8,
  feedForwardDim: 512,
  maskKeepProb: 0.95,
  discriminatorChannels: [16, 32, 64, 128, 128],
  ablation: FULL_MODEL,
};

const ZHANGLAB_TRAIN: TrainConfig = {
  batchSize: 16,
  epochs: 200,
  imagesPerEpoch: 0, // not generated data: an epoch is one pass over the folder
  nCritic: 2,
  generatorLr: 1e-4,
  discriminatorLr: 1e-4,
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-7,
  weightDecay: 1e-5,
  cosinePeriod: 300,
  cosineMinFactor: 0.1,
  augmentTranslate: 0.05,
  augmentScale: [0.95, 1.05],
  lossWeights: ZHANGLAB_LOSS,
};

const DIGIT_MODEL: ModelConfig = {
  imageSize: 96,
  patchesPerSide: 3,
  channels: [32, 64, 128, 256],
  initialCombine: 1,
  inpaintChannels: 64,
  memorySlots: 200,
  decoderMemorySlots: 200,
  decoderMemoryWindows: 1,
  decoderMemoryLevels: 2,
  shrinkageTopK: 4,
  attentionHeads: 8,
  feedForwardDim: 256,
  maskKeepProb: 0.95,
  discriminatorChannels: [16, 32, 64, 128, 128],
  ablation: FULL_MODEL,
};

const DIGIT_TRAIN: TrainConfig = {
  ...ZHANGLAB_TRAIN,
  nCritic: 1,
  imagesPerEpoch: 1600,
  cosineMinFactor: 0.01,
  lossWeights: DIGIT_LOSS,
};

/** A small DigitAnatomy-like model that trains in minutes on 2 cores. */
const TINY_MODEL: ModelConfig = {
  imageSize: 48,
  patchesPerSide: 3,
  channels: [8, 16, 32],
  initialCombine: 1,
  inpaintChannels: 8,
  memorySlots: 50,
  decoderMemorySlots: 50,
  decoderMemoryWindows: 1,
  decoderMemoryLevels: 1,
  shrinkageTopK: 4,
  attentionHeads: 8,
  feedForwardDim: 32,
  maskKeepProb: 0.95,
  discriminatorChannels: [8, 16, 32, 32],
  ablation: FULL_MODEL,
};

const TINY_TRAIN: TrainConfig = {
  ...DIGIT_TRAIN,
  batchSize: 8,
  epochs: 20,
  imagesPerEpoch: 320,
  cosinePeriod: 30,
};

/**
 * zhanglab-fast: the paper's model and training on a CPU budget (an hour on
 * 2 cores): the cosine schedule spans the ~16 epochs that fit; the position
 * task joins the generator's loss. Images are scored by `input+position`:
 * the position score (validation AUC 0.91 from the first epoch) plus the
 * discriminator's logit of the input, each standardized on normal training
 * images; the sum was above either part from the second epoch on (0.959 at
 * the end). The reconstruction's logit (the paper's score) stayed below
 * (docs/detection.md, E6 and E7).
 */
const ZHANGLAB_FAST_TRAIN: TrainConfig = { ...ZHANGLAB_TRAIN, epochs: 16, cosinePeriod: 16 };
const ZHANGLAB_FAST_MODEL: ModelConfig = { ...ZHANGLAB_MODEL, positionLoss: 1 };

/**
 * digitanatomy-fast: the tiny model (48 px; larger test images are resized
 * to it) trained with a 10x generator learning rate for 30 epochs of 320
 * fresh images (1,200 iterations), with the position task added to the
 * generator's loss, and scored by it (`position`): an image is as normal as
 * its least surely placed patch. Reconstruction-based kinds stayed below
 * 0.85 validation AUC here, the patch memory below 0.84; the position
 * score reached 0.93 (docs/detection.md).
 */
const DIGIT_FAST_TRAIN: TrainConfig = { ...TINY_TRAIN, generatorLr: 1e-3, epochs: 30, cosinePeriod: 30 };
const DIGIT_FAST_MODEL: ModelConfig = { ...TINY_MODEL, positionLoss: 1 };

const PRESETS: Record<PresetName, Preset> = {
  zhanglab: { name: 'zhanglab', model: ZHANGLAB_MODEL, train: ZHANGLAB_TRAIN, score: 'input' },
  'zhanglab-fast': { name: 'zhanglab-fast', model: ZHANGLAB_FAST_MODEL, train: ZHANGLAB_FAST_TRAIN, score: 'input+position' },
  chexpert: { name: 'chexpert', model: ZHANGLAB_MODEL, train: ZHANGLAB_TRAIN },
  digitanatomy: { name: 'digitanatomy', model: DIGIT_MODEL, train: DIGIT_TRAIN },
  'digitanatomy-fast': { name: 'digitanatomy-fast', model: DIGIT_FAST_MODEL, train: DIGIT_FAST_TRAIN, score: 'position' },
  tiny: { name: 'tiny', model: TINY_MODEL, train: TINY_TRAIN, score: 'input' },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** A deep copy of a named preset (callers may modify it freely). */
export function getPreset(name: string): Preset {
  if (!isPresetName(name)) {
    throw new PresetError(`unknown preset "${name}"; expected one of ${PRESET_NAMES.join(', ')}`);
  }
  return structuredClone(PRESETS[name]);
}

/** A preset (or override file) that cannot be used. */
export class PresetError extends SquidError {
  constructor(message: string) {
    super(message);
    this.name = 'PresetError';
  }
}
