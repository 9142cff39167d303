/** The model files the user picked or dropped, as an ExportReader. */
import type { ExportReader } from '../../src/core/index.js';

export function isModelFile(name: string): boolean {
  return /\.(json|bin)$/i.test(name);
}

/** Reader over File objects by base name (folder pickers give paths; only the name counts). */
export function fileReader(files: readonly File[]): ExportReader {
  const byName = new Map<string, File>();
  for (const f of files) byName.set(f.name, f);
  return async (name: string) => {
    const base = name.split('/').pop() ?? name;
    const f = byName.get(base);
    if (!f) throw new Error(`${base} is missing: select every file of the exported model folder`);
    return f.arrayBuffer();
  };
}
