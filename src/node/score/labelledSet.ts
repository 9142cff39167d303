/**
 * A labelled image set for validation and evaluation (Node only), from:
 * - a folder with labels.csv (path,label[,type]), as the DigitAnatomy
 *   writer makes (its root or its test/). Paths are relative to that
 *   folder and must stay inside it (no absolute paths, no "../"); a path
 *   listed twice is an error naming both rows;
 * - a labelled folder (class sub-folders, normal/ = 0, others = 1).
 * Anomaly types come from labels.csv's type column, else from file-name
 * prefixes of abnormal images ("missing_003.png" -> missing), else from
 * the class folder's name (PNEUMONIA/ -> PNEUMONIA).
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readLabelledFolder } from '../data/folders.js';
import { loadBatch } from '../data/batches.js';
import type { LabelledItem } from '../data/types.js';
import { InputError } from '../../core/util/errors.js';
import type { LabelledPixels } from './statistics.js';
import { silentTasks, withTask, type TaskProgress } from '../taskProgress.js';

export interface TypedItem {
  path: string;
  label: 0 | 1;
  /** "normal" for normal images; the anomaly type (or "abnormal") otherwise. */
  type: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function parseLabelsCsv(text: string, file: string): TypedItem[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (err) {
    throw new InputError(file, `not a valid CSV (${err instanceof Error ? err.message : String(err)})`);
  }
  const dir = path.dirname(file);
  const rowOf = new Map<string, number>();
  return rows.map((r, i) => {
    const p = r.path;
    const l = r.label;
    const row = i + 2;
    if (!p || (l !== '0' && l !== '1')) {
      throw new InputError(file, `row ${row}: needs a path and a label of 0 or 1 (columns path,label[,type])`);
    }
    // paths are relative to the set's folder and stay inside it
    const rel = path.normalize(p);
    if (path.isAbsolute(p) || rel === '..' || rel.startsWith(`..${path.sep}`)) {
      throw new InputError(file, `row ${row}: path "${p}" must be relative to the folder of labels.csv and stay inside it`);
    }
    const first = rowOf.get(rel);
    if (first !== undefined) throw new InputError(file, `rows ${first} and ${row} both list "${p}"`);
    rowOf.set(rel, row);
    const label = l === '1' ? 1 : 0;
    return { path: path.join(dir, rel), label, type: label === 0 ? 'normal' : r.type || 'abnormal' };
  });
}

/** Types of abnormal items from file-name prefixes or class folders (see the module comment). */
export function typesOf(items: readonly LabelledItem[]): TypedItem[] {
  const abnormal = items.filter((i) => i.label === 1);
  const prefix = (p: string) => /^([A-Za-z]+)_/.exec(path.basename(p))?.[1];
  const allPrefixed = abnormal.length > 0 && abnormal.every((i) => prefix(i.path) !== undefined);
  return items.map((i) => ({
    path: i.path,
    label: i.label,
    type: i.label === 0 ? 'normal' : allPrefixed ? (prefix(i.path) as string) : i.className,
  }));
}

/** The items of a labelled set (labels.csv when the folder has one). */
export async function readLabelledItems(dir: string): Promise<TypedItem[]> {
  const csv = path.join(dir, 'labels.csv');
  let items: TypedItem[];
  if (await exists(csv)) {
    items = parseLabelsCsv(await readFile(csv, 'utf8'), csv);
    if (items.length === 0) throw new InputError(csv, 'lists no images');
  } else {
    items = typesOf(await readLabelledFolder(dir));
  }
  const pos = items.filter((i) => i.label === 1).length;
  if (pos === 0 || pos === items.length) {
    throw new InputError(dir, `a labelled set needs normal and abnormal images; found ${items.length - pos} normal and ${pos} abnormal`);
  }
  return items;
}

/** Loads a labelled set's images at `size` px into memory (progress: shown while they load). */
export async function loadLabelledSet(dir: string, size: number, progress: TaskProgress = silentTasks): Promise<LabelledPixels & { items: TypedItem[] }> {
  const items = await readLabelledItems(dir);
  const batch = await withTask(progress, `loading ${items.length} images of ${dir}`, items.length, (onProgress) =>
    loadBatch(
      items.map((i) => i.path),
      { size, onProgress },
    ),
  );
  return {
    x: batch.x,
    size,
    labels: items.map((i) => i.label),
    types: items.map((i) => i.type),
    names: items.map((i) => i.path),
    items,
  };
}
