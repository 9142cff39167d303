/** Node-side preset loading: a named preset plus an optional JSON override file. */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/util/errors.js';
import { PresetError, type Preset } from '../../core/squid/presets.js';
import { resolvePreset } from '../../core/squid/presetSchema.js';

/**
 * getPreset(name) with the overrides of a JSON file applied and validated.
 * Throws InputError (naming the file) for unreadable/invalid JSON or bad keys,
 * PresetError for an unknown preset name.
 */
export function loadPreset(name: string, overridesJsonPath?: string): Preset {
  if (overridesJsonPath === undefined) return resolvePreset(name);
  let text: string;
  try {
    text = readFileSync(overridesJsonPath, 'utf8');
  } catch (err) {
    throw new InputError(overridesJsonPath, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(overridesJsonPath, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return resolvePreset(name, json, overridesJsonPath);
  } catch (err) {
    if (err instanceof PresetError && err.message.startsWith(`${overridesJsonPath}: `)) {
      throw new InputError(overridesJsonPath, err.message.slice(overridesJsonPath.length + 2));
    }
    throw err;
  }
}
