/** The SQUID model: presets, construction, summaries (browser-safe). */
export { createSquid, stableVariableName } from './squid.js';
export { GENERATOR_PREFIX, TEACHER_PREFIX, DISCRIMINATOR_PREFIX } from '../squid/squid.js';
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
} from '../squid/presets.js';
export { applyOverrides, resolvePreset, validatePreset } from '../squid/presetSchema.js';
export { countParameters, featureShapes, type ParameterCounts, type FeatureShape } from './summary.js';
