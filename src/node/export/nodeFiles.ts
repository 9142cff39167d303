/** An ExportReader over a folder on disk (Node only). */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError } from '../../core/util/errors.js';
import type { ExportReader } from '../../core/export/loadExport.js';

export function folderReader(dir: string): ExportReader {
  return async (name: string) => {
    const path = join(dir, basename(name));
    try {
      const buf = await readFile(path);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new InputError(path, code === 'ENOENT' ? 'missing from the export folder' : String(err));
    }
  };
}
