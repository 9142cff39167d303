/**
 * Validation of presets and of JSON overrides (browser-safe: takes parsed
 * JSON, reads no files; see src/node/cli/loadPreset.ts for the file reader).
 *
 * An override is a partial preset, e.g. {"model": {"memorySlots": 100},
 * "train": {"epochs": 5}}; arrays replace whole arrays. Unknown keys, wrong
 * types and out-of-range values are errors naming the key.
 */
import { PresetError, SCORE_KINDS, getPreset, isOptionalKind, optionalKindNeeds, type Preset, type ModelConfig, type TrainConfig } from './presets.js';

/** Throws naming the key when the value is bad; `optional` ones may be absent. */
type Check = ((v: unknown, key: string) => void) & { optional?: boolean };

function optional(check: Check): Check {
  const c: Check = (v, key) => check(v, key);
  c.optional = true;
  return c;
}

function fail(key: string, problem: string): never {
  throw new PresetError(`${key}: ${problem}`);
}

function int(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (v, key) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(key, `must be an integer; got ${JSON.stringify(v)}`);
    if (v < min || v > max) fail(key, `must be in [${min}, ${max}]; got ${v}`);
  };
}

function num(min: number, max: number, opts: { minExclusive?: boolean } = {}): Check {
  return (v, key) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(key, `must be a finite number; got ${JSON.stringify(v)}`);
    if (v > max || v < min || (opts.minExclusive === true && v === min)) {
      fail(key, `must be in ${opts.minExclusive === true ? '(' : '['}${min}, ${max}]; got ${v}`);
    }
  };
}

function bool(): Check {
  return (v, key) => {
    if (typeof v !== 'boolean') fail(key, `must be true or false; got ${JSON.stringify(v)}`);
  };
}

function oneOf(values: readonly string[]): Check {
  return (v, key) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(key, `must be one of ${values.join(', ')}; got ${JSON.stringify(v)}`);
  };
}

function intArray(minLen: number, maxLen: number, min: number, max: number): Check {
  return (v, key) => {
    if (!Array.isArray(v)) fail(key, `must be an array of integers; got ${JSON.stringify(v)}`);
    if (v.length < minLen || v.length > maxLen) fail(key, `must have ${minLen}..${maxLen} entries; got ${v.length}`);
    v.forEach((e, i) => int(min, max)(e, `${key}[${i}]`));
  };
}

function numPair(min: number, max: number): Check {
  return (v, key) => {
    if (!Array.isArray(v) || v.length !== 2) fail(key, `must be [lo, hi]; got ${JSON.stringify(v)}`);
    v.forEach((e, i) => num(min, max)(e, `${key}[${i}]`));
    if ((v[0] as number) > (v[1] as number)) fail(key, `lo must not exceed hi; got ${JSON.stringify(v)}`);
  };
}

type Schema = { [key: string]: Check | Schema };

const ABLATION_SCHEMA: Schema = {
  spaceAwareMemory: bool(),
  inpainting: bool(),
  gumbelShrinkage: bool(),
  distillation: bool(),
  stopGradient: bool(),
  memoryKind: oneOf(['queue', 'matrix']),
  maskedShortcut: bool(),
  decoderMemory: bool(),
};

const MODEL_SCHEMA: Schema = {
  imageSize: int(8, 4096),
  patchesPerSide: int(1, 16),
  channels: intArray(2, 8, 1, 4096),
  initialCombine: int(1, 7),
  inpaintChannels: int(1, 4096),
  memorySlots: int(1, 100000),
  decoderMemorySlots: int(1, 100000),
  decoderMemoryWindows: int(1, 16),
  decoderMemoryLevels: int(0, 7),
  shrinkageTopK: int(1, 100000),
  attentionHeads: int(1, 64),
  feedForwardDim: int(1, 65536),
  maskKeepProb: num(0, 1, { minExclusive: true }),
  discriminatorChannels: intArray(1, 8, 1, 4096),
  ablation: ABLATION_SCHEMA,
  patchMemory: optional((v, key) => {
    if (!isRecord(v)) fail(key, `must be an object {"slots": n, "dim": k}; got ${JSON.stringify(v)}`);
    for (const k of Object.keys(v)) if (k !== 'slots' && k !== 'dim') fail(`${key}.${k}`, 'unknown key (known: slots, dim)');
    int(1, 1000000)(v.slots, `${key}.slots`);
    int(1, 4096)(v.dim, `${key}.dim`);
  }),
  positionLoss: optional(num(0, 1e6)),
};

const LOSS_SCHEMA: Schema = {
  reconstruction: num(0, 1e6),
  teacher: num(0, 1e6),
  distillation: num(0, 1e6),
  generator: num(0, 1e6),
  discriminator: num(0, 1e6),
};

const TRAIN_SCHEMA: Schema = {
  batchSize: int(1, 4096),
  epochs: int(1, 100000),
  imagesPerEpoch: int(0, 10000000),
  nCritic: int(1, 100),
  generatorLr: num(0, 1, { minExclusive: true }),
  discriminatorLr: num(0, 1, { minExclusive: true }),
  beta1: num(0, 1),
  beta2: num(0, 1),
  epsilon: num(0, 1, { minExclusive: true }),
  weightDecay: num(0, 1),
  cosinePeriod: int(1, 1000000),
  cosineMinFactor: num(0, 1),
  augmentTranslate: num(0, 0.5),
  augmentScale: numPair(0.1, 10),
  lossWeights: LOSS_SCHEMA,
};

const PRESET_SCHEMA: Schema = {
  name: (v, key) => {
    if (typeof v !== 'string' || v.length === 0) fail(key, 'must be a non-empty string');
  },
  model: MODEL_SCHEMA,
  train: TRAIN_SCHEMA,
  score: optional(oneOf(SCORE_KINDS)),
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` into `base` (both plain JSON), checking every key of `over` against `schema`. */
function merge(base: Record<string, unknown>, over: unknown, schema: Schema, path: string): void {
  if (!isRecord(over)) fail(path || '(root)', `must be a JSON object; got ${JSON.stringify(over)}`);
  for (const [key, value] of Object.entries(over)) {
    const full = path ? `${path}.${key}` : key;
    const rule = schema[key];
    if (rule === undefined) fail(full, `unknown key (known: ${Object.keys(schema).join(', ')})`);
    if (typeof rule === 'function') {
      rule(value, full);
      base[key] = structuredClone(value);
    } else {
      const sub = base[key];
      if (!isRecord(sub)) fail(full, 'cannot be overridden');
      merge(sub, value, rule, full);
    }
  }
}

function checkAll(obj: Record<string, unknown>, schema: Schema, path: string): void {
  for (const [key, rule] of Object.entries(schema)) {
    const full = path ? `${path}.${key}` : key;
    const value = obj[key];
    if (value === undefined) {
      if (typeof rule === 'function' && rule.optional === true) continue;
      fail(full, 'missing');
    }
    if (typeof rule === 'function') rule(value, full);
    else {
      if (!isRecord(value)) fail(full, 'must be an object');
      checkAll(value, rule, full);
    }
  }
  for (const key of Object.keys(obj)) {
    if (!(key in schema)) fail(path ? `${path}.${key}` : key, 'unknown key');
  }
}

/** Spatial side of each encoder stage, per patch: [patch, patch/2, ..., bottleneck]. */
export function encoderSides(m: ModelConfig): number[] {
  const patch = m.imageSize / m.patchesPerSide;
  return m.channels.map((_, i) => patch / 2 ** i);
}

/** Cross-field checks: the shapes the configuration implies must exist. */
function checkConsistency(m: ModelConfig, t: TrainConfig): void {
  const levels = m.channels.length - 1;
  if (m.imageSize % m.patchesPerSide !== 0) {
    fail('model.imageSize', `must be divisible by model.patchesPerSide (${m.patchesPerSide}); got ${m.imageSize}`);
  }
  const patch = m.imageSize / m.patchesPerSide;
  if (patch % 2 ** levels !== 0) {
    fail('model.channels', `${levels} down levels need a patch side (${patch}) divisible by ${2 ** levels}`);
  }
  if (m.initialCombine > levels) fail('model.initialCombine', `must be at most the number of levels (${levels}); got ${m.initialCombine}`);
  const perPatchLevels = levels - m.initialCombine;
  if (m.decoderMemoryLevels > perPatchLevels) {
    fail('model.decoderMemoryLevels', `must be at most levels - initialCombine (${perPatchLevels}); got ${m.decoderMemoryLevels}`);
  }
  const sides = encoderSides(m);
  for (let i = 0; i < m.decoderMemoryLevels; i++) {
    const side = sides[levels - 1 - i] as number;
    if (side % m.decoderMemoryWindows !== 0) {
      fail('model.decoderMemoryWindows', `must divide the decoder map side ${side} at level ${i}; got ${m.decoderMemoryWindows}`);
    }
  }
  const bottleneckSide = sides[levels] as number;
  const queryDim = m.inpaintChannels * bottleneckSide * bottleneckSide;
  if (queryDim % m.attentionHeads !== 0) {
    fail('model.attentionHeads', `must divide the query dimension ${queryDim}; got ${m.attentionHeads}`);
  }
  if (m.shrinkageTopK >= m.memorySlots || m.shrinkageTopK >= m.decoderMemorySlots) {
    fail('model.shrinkageTopK', `must be below memorySlots and decoderMemorySlots; got ${m.shrinkageTopK}`);
  }
  let side = m.imageSize;
  for (let i = 0; i < m.discriminatorChannels.length; i++) {
    side = Math.floor((side - 1) / 2) + 1;
  }
  if (side < 1) fail('model.discriminatorChannels', 'too many layers for the image size');
  if (t.nCritic < 1) fail('train.nCritic', 'must be at least 1');
  if (m.patchMemory && m.initialCombine >= levels) {
    fail('model.patchMemory', `needs a per-patch encoder map: initialCombine (${m.initialCombine}) must be below the number of levels (${levels})`);
  }
  if ((m.positionLoss ?? 0) > 0 && m.initialCombine >= levels) {
    fail('model.positionLoss', `needs a per-patch encoder map: initialCombine (${m.initialCombine}) must be below the number of levels (${levels})`);
  }
  if ((m.positionLoss ?? 0) > 0 && m.patchesPerSide < 2) fail('model.positionLoss', 'needs at least 2 patches per side (positions to tell apart)');
}

/** Throws a PresetError naming the first bad key of a whole preset. */
export function validatePreset(p: unknown): asserts p is Preset {
  if (!isRecord(p)) fail('(root)', 'a preset must be a JSON object');
  checkAll(p, PRESET_SCHEMA, '');
  const preset = p as unknown as Preset;
  checkConsistency(preset.model, preset.train);
  const kind = preset.score;
  if (kind && isOptionalKind(kind)) {
    const needs = optionalKindNeeds(preset.model, kind);
    if (needs) fail('score', `the "${kind}" score needs ${needs}`);
  }
}

/** A copy of `base` with `overrides` (parsed JSON, a partial preset) applied and validated. */
export function applyOverrides(base: Preset, overrides: unknown, source = 'overrides'): Preset {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  try {
    merge(out, overrides, PRESET_SCHEMA, '');
    validatePreset(out);
  } catch (err) {
    if (err instanceof PresetError) throw new PresetError(`${source}: ${err.message}`);
    throw err;
  }
  return out as unknown as Preset;
}

/** A named preset with optional overrides (already parsed JSON). */
export function resolvePreset(name: string, overrides?: unknown, source?: string): Preset {
  const base = getPreset(name);
  return overrides === undefined ? base : applyOverrides(base, overrides, source);
}
