/**
 * CheXpert: read its train.csv / valid.csv (columns `Path`, `Frontal/Lateral`,
 * `AP/PA`, `No Finding`). Keeps frontal PA images; normal (label 0) when
 * `No Finding` = 1, abnormal (label 1) otherwise (blank, 0 or -1). Node only.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../../core/util/errors.js';
import type { LabelledItem } from './types.js';

export interface ChexpertOptions {
  /**
   * Folder the CSV's `Path` values are relative to. Default: the parent of
   * the CSV's folder (CheXpert paths start with the data set's own folder
   * name, e.g. `CheXpert-v1.0-small/train/patient00001/...`).
   */
  root?: string;
  /** Keep only these views (`AP/PA` column). Default ['PA']. */
  views?: string[];
  /** Require both normal and abnormal images (evaluation sets). Default false. */
  requireBothClasses?: boolean;
}

const REQUIRED = ['Path', 'Frontal/Lateral', 'AP/PA', 'No Finding'] as const;

/** Parse CheXpert CSV text; `source` names the file in errors. */
export function parseChexpertCsv(text: string, source: string, opts: ChexpertOptions = {}): LabelledItem[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (err) {
    throw new InputError(source, `not a readable CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0] as object) : firstLineColumns(text);
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(source, `not a CheXpert CSV: missing column(s) ${missing.join(', ')}`);
  const root = opts.root ?? dirname(dirname(source));
  const views = new Set((opts.views ?? ['PA']).map((v) => v.toUpperCase()));
  const items: LabelledItem[] = [];
  for (const r of rows) {
    if ((r['Frontal/Lateral'] ?? '').toLowerCase() !== 'frontal') continue;
    if (!views.has((r['AP/PA'] ?? '').toUpperCase())) continue;
    const rel = r['Path'] ?? '';
    if (rel === '') continue;
    const normal = Number(r['No Finding']) === 1;
    items.push({
      path: isAbsolute(rel) ? rel : join(root, rel),
      label: normal ? 0 : 1,
      className: normal ? 'normal' : 'abnormal',
    });
  }
  if (items.length === 0) throw new InputError(source, `no frontal ${[...views].join('/')} images listed`);
  if (opts.requireBothClasses) {
    const n0 = items.filter((i) => i.label === 0).length;
    if (n0 === 0 || n0 === items.length) {
      throw new InputError(source, `an evaluation set needs normal and abnormal images; all ${items.length} are ${n0 ? 'normal' : 'abnormal'}`);
    }
  }
  return items;
}

function firstLineColumns(text: string): string[] {
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return line.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
}

/** Read a CheXpert CSV file (see parseChexpertCsv). */
export async function readChexpertCsv(csvPath: string, opts: ChexpertOptions = {}): Promise<LabelledItem[]> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(csvPath, code === 'ENOENT' ? 'file not found' : String(err));
  }
  return parseChexpertCsv(text, csvPath, opts);
}
