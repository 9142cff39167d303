/**
 * Browser-safe (de)serialization of a named tensor state
 * (Record<string, tf.Tensor>) to a tfjs weights manifest plus one binary
 * buffer, and the `model.json` document of a saved SQUID model. No Node
 * imports: the browser app loads models with this module too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preset } from '../squid/presets.js';
import { quantize, QUANTIZATIONS, type Quantization } from './quantize.js';

export type TensorState = Record<string, tf.Tensor>;

export interface EncodedState {
  /** One entry per tensor, in buffer order (tf.io.WeightsManifestEntry). */
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/**
 * Encodes tensors (float32 / int32) into one buffer with its manifest
 * entries, in name order; `quantize`: float32 tensors stored as float16 or
 * uint8 (quantize.ts; tf.io.decodeWeights restores float32).
 */
export async function encodeState(state: TensorState, quantization?: Quantization): Promise<EncodedState> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const name of Object.keys(state).sort()) {
    const t = state[name] as tf.Tensor;
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`weight "${name}" has dtype ${t.dtype}; only float32 and int32 are stored`);
    const values = (await t.data()) as Float32Array | Int32Array;
    const spec: tf.io.WeightsManifestEntry = { name, shape: [...t.shape], dtype: t.dtype };
    if (quantization && values instanceof Float32Array) {
      const q = quantize(values, quantization);
      spec.quantization = q.quantization;
      parts.push(q.bytes);
    } else {
      parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    specs.push(spec);
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { specs, data: data.buffer };
}

/** Decodes `encodeState`'s output back into tensors (the caller owns them). */
export function decodeState(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): TensorState {
  const odd = specs.find((s) => s.dtype !== 'float32' && s.dtype !== 'int32');
  if (odd) throw new Error(`weight "${odd.name}" has dtype ${String(odd.dtype)}; only float32 and int32 are stored`);
  const expected = specs.reduce((sum, s) => sum + byteSize(s), 0);
  if (data.byteLength !== expected) {
    throw new Error(`weights buffer holds ${data.byteLength} bytes; its manifest describes ${expected}`);
  }
  return tf.io.decodeWeights(data, specs) as TensorState;
}

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  if (q !== undefined && !QUANTIZATIONS.includes(q as Quantization)) throw new Error(`weight "${spec.name}": quantization ${String(q)} is not supported`);
  return n * (q === 'uint8' ? 1 : q === 'float16' ? 2 : 4);
}

/** Format marker and version of model.json. */
export const MODEL_FORMAT = 'squid-ts';
export const MODEL_FORMAT_VERSION = 1;
export const WEIGHTS_FILE = 'weights.bin';

/** The `best/model.json` document: a tfjs weights manifest plus the preset. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  preset: Preset;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  /** Free-form provenance (epoch, validation AUC, date). */
  meta?: Record<string, string | number | null>;
  /** SHA-256 of the weights (the shards joined in manifest order), hex (absent in models saved before it was recorded). */
  weightsSha256?: string;
}

/** SHA-256 of a buffer, lower-case hex (Web Crypto: Node 20 and browsers). */
export async function sha256Hex(data: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Throws when `data` does not hash to `expected` (a damaged or replaced
 * file). No expectation (files from before checksums): nothing to check.
 */
export async function checkSha256(data: ArrayBuffer | Uint8Array<ArrayBuffer>, expected: string | undefined): Promise<void> {
  if (expected === undefined) return;
  const got = await sha256Hex(data);
  if (got !== expected) throw new Error(`checksum mismatch: the file is damaged (SHA-256 ${got.slice(0, 12)}..., expected ${expected.slice(0, 12)}...)`);
}

export function buildModelJson(
  preset: Preset,
  specs: tf.io.WeightsManifestEntry[],
  meta?: Record<string, string | number | null>,
  weightsSha256?: string,
  paths: string[] = [WEIGHTS_FILE],
): ModelJson {
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    preset,
    weightsManifest: [{ paths, weights: specs }],
    ...(meta ? { meta } : {}),
    ...(weightsSha256 ? { weightsSha256 } : {}),
  };
}

/** Checks a parsed model.json; `where` names the file in errors. */
export function parseModelJson(doc: unknown, where = 'model.json'): ModelJson {
  const d = doc as Partial<ModelJson> | null;
  if (!d || typeof d !== 'object') throw new Error(`${where}: not a JSON object`);
  if (d.format !== MODEL_FORMAT) throw new Error(`${where}: not a squid-ts model (format is ${JSON.stringify(d.format)})`);
  if (d.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new Error(`${where}: format version ${String(d.formatVersion)} is not supported (expected ${MODEL_FORMAT_VERSION})`);
  }
  if (!d.preset || typeof d.preset !== 'object' || typeof d.preset.name !== 'string') {
    throw new Error(`${where}: missing preset`);
  }
  const groups = d.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray(groups[0]?.weights)) {
    throw new Error(`${where}: weightsManifest must hold exactly one group`);
  }
  return d as ModelJson;
}

/** Tensors of a model.json + weights buffer. */
export function decodeModel(json: ModelJson, weights: ArrayBuffer): TensorState {
  const group = json.weightsManifest[0];
  if (!group) throw new Error('model.json: empty weightsManifest');
  return decodeState(group.weights, weights);
}

export function disposeState(state: TensorState): void {
  for (const t of Object.values(state)) t.dispose();
}
