/**
 * Writes an export folder: model.json (a tfjs weights manifest of the model
 * state, src/core/io/modelState.ts), the weights in 4 MB shards named as
 * TF.js names them (group1-shard1of3.bin, ...), optionally quantized to
 * float16 or uint8 (src/core/io/quantize.ts), and squid.json. Node only.
 * Files are written to temporaries and renamed, so a reader never sees half
 * a file.
 */
import { writeFileAtomic } from '../io/atomicFiles.js';
import { join } from 'node:path';
import { buildModelJson, encodeState, sha256Hex, type TensorState } from '../../core/io/modelState.js';
import type { Quantization } from '../../core/io/quantize.js';
import { MODEL_JSON } from '../../core/export/loadExport.js';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, SQUID_JSON, type SquidJson } from '../../core/export/squidJson.js';

/** squid.json minus what the writer fills in itself. */
export type ExportInfo = Omit<SquidJson, 'format' | 'formatVersion' | 'files' | 'exportedAt' | 'inputSize'>;

/** TF.js's shard size (tensorflowjs_converter's default). */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface WriteExportOptions {
  /** float32 weights stored as float16 or uint8 (default: float32 as trained) */
  quantize?: Quantization;
  /** bytes per weights file (default SHARD_BYTES) */
  shardBytes?: number;
}

/** TF.js's shard names: group1-shard1ofN.bin ... */
function shardNames(bytes: number, shardBytes: number): string[] {
  const n = Math.max(1, Math.ceil(bytes / shardBytes));
  return Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
}

/** Writes the export; returns the squid.json written. */
export async function writeExport(dir: string, state: TensorState, info: ExportInfo, opts: WriteExportOptions = {}): Promise<SquidJson> {
  const { specs, data } = await encodeState(state, opts.quantize);
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const shards = shardNames(data.byteLength, shardBytes);
  const modelJson = buildModelJson(info.preset, specs, { exportedFrom: info.training.data, quantization: opts.quantize ?? 'none' }, await sha256Hex(data), shards);
  const squid: SquidJson = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    ...info,
    inputSize: info.preset.model.imageSize,
    exportedAt: new Date().toISOString(),
    files: [MODEL_JSON, ...shards, SQUID_JSON],
  };
  for (const [i, name] of shards.entries()) await writeFileAtomic(join(dir, name), new Uint8Array(data, i * shardBytes, Math.min(shardBytes, data.byteLength - i * shardBytes)));
  await writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
  await writeFileAtomic(join(dir, SQUID_JSON), `${JSON.stringify(squid, null, 2)}\n`);
  return squid;
}
