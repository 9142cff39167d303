/**
 * Writes an export folder: model.json + weights.bin (tfjs weights manifest of
 * the model state, src/core/io/modelState.ts) and squid.json. Node only. Files are
 * written to temporaries and renamed, so a reader never sees half a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildModelJson, encodeState, sha256Hex, WEIGHTS_FILE, type TensorState } from '../../core/io/modelState.js';
import { MODEL_JSON } from '../../core/export/loadExport.js';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, SQUID_JSON, type SquidJson } from '../../core/export/squidJson.js';

/** squid.json minus what the writer fills in itself. */
export type ExportInfo = Omit<SquidJson, 'format' | 'formatVersion' | 'files' | 'exportedAt' | 'inputSize'>;

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes the export; returns the squid.json written. */
export async function writeExport(dir: string, state: TensorState, info: ExportInfo): Promise<SquidJson> {
  await mkdir(dir, { recursive: true });
  const { specs, data } = await encodeState(state);
  const modelJson = buildModelJson(info.preset, specs, { exportedFrom: info.training.data }, await sha256Hex(data));
  const squid: SquidJson = {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    ...info,
    inputSize: info.preset.model.imageSize,
    exportedAt: new Date().toISOString(),
    files: [MODEL_JSON, WEIGHTS_FILE, SQUID_JSON],
  };
  await writeAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(data));
  await writeAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
  await writeAtomic(join(dir, SQUID_JSON), `${JSON.stringify(squid, null, 2)}\n`);
  return squid;
}
