/**
 * Presets: the whole configuration of a SQUID model and its training, as
 * typed data. Values follow ../shared/spec/squid-reference.md.
 * (Validation of JSON overrides lives in presetSchema.ts.)
 */

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

export interface Preset {
  name: string;
  model: ModelConfig;
  train: TrainConfig;
}

export const PRESET_NAMES = ['zhanglab', 'chexpert', 'digitanatomy', 'tiny'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
