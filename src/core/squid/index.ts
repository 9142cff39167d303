/** The SQUID model: presets, construction, summaries (browser-safe). */
export { createSquid, stableVariableName, GENERATOR_PREFIX, TEACHER_PREFIX, DISCRIMINATOR_PREFIX } from './squid.js';
export type { SquidModel, GeneratorStep, GeneratorLossParts, DiscriminatorBnMode, SharedGeneratorForward } from './types.js';
export {
  getPreset,
  isPresetName,
  PresetError,
  PRESET_NAMES,
  FULL_MODEL,
  ABLATIONS,
  type Preset,
  type PresetName,
  type ModelConfig,
  type TrainConfig,
  type LossWeights,
  type AblationSwitches,
  type AblationRow,
} from './presets.js';
export { applyOverrides, resolvePreset, validatePreset } from './presetSchema.js';
export { countParameters, featureShapes, type ParameterCounts, type FeatureShape } from './summary.js';
