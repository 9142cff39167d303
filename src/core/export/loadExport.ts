/**
 * Loads an export (squid.json + model.json + weight files) into a ready
 * SquidModel. Browser-safe: the caller supplies the bytes (Node: files on
 * disk, see nodeFiles.ts; browser: File objects the user picked).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSha256, decodeModel, disposeState, parseModelJson, type ModelJson } from '../io/modelState.js';
import type { Preset } from '../squid/presets.js';
import type { SquidModel } from '../model/types.js';
import { parseSquidJson, SQUID_JSON, type SquidJson } from './squidJson.js';

export const MODEL_JSON = 'model.json';

/** Reads one file of an export by its name; rejects naming the file when it is missing. */
export type ExportReader = (name: string) => Promise<ArrayBuffer>;

/** Builds an untrained model of a preset (src/core/squid/squid.ts's createSquid). */
export type ModelFactory = (preset: Preset) => SquidModel;

export interface LoadedExport {
  info: SquidJson;
  modelJson: ModelJson;
  model: SquidModel;
}

function parseJson(bytes: ArrayBuffer, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${name}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/** Concatenates the weight files named by model.json, in manifest order. */
async function readWeights(read: ExportReader, json: ModelJson): Promise<ArrayBuffer> {
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (paths.length === 0) throw new Error(`${MODEL_JSON}: names no weight files`);
  const parts = await Promise.all(paths.map((p) => read(p)));
  return parts.length === 1 ? (parts[0] as ArrayBuffer) : tf.io.concatenateArrayBuffers(parts);
}

export async function loadExport(read: ExportReader, create: ModelFactory): Promise<LoadedExport> {
  const info = parseSquidJson(parseJson(await read(SQUID_JSON), SQUID_JSON));
  const modelJson = parseModelJson(parseJson(await read(MODEL_JSON), MODEL_JSON), MODEL_JSON);
  if (JSON.stringify(modelJson.preset) !== JSON.stringify(info.preset)) {
    throw new Error(`${MODEL_JSON} and ${SQUID_JSON} disagree on the preset (files from two different exports?)`);
  }
  const weights = await readWeights(read, modelJson);
  const state = decodeModel(modelJson, weights); // checks the size first: a truncated file says so
  try {
    await checkSha256(weights, modelJson.weightsSha256);
  } catch (err) {
    disposeState(state);
    const files = modelJson.weightsManifest.flatMap((g) => g.paths).join(', ') || 'weights';
    throw new Error(`${files}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const model = create(info.preset);
  try {
    model.setState(state);
  } catch (err) {
    model.dispose();
    throw new Error(`${MODEL_JSON}: weights do not fit the ${info.preset.name} preset: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  } finally {
    disposeState(state);
  }
  return { info, modelJson, model };
}
