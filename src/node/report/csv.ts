/**
 * Score CSV files: header `path,label,score` (optional `type`, and `call`,
 * the decision at a report's threshold, which reading ignores); label 0 =
 * normal, 1 = abnormal. Node only.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../../core/util/errors.js';
import type { ScoredRow } from './types.js';

/** Parse score CSV text; `source` names the file in errors. */
export function parseScoresCsv(text: string, source: string): ScoredRow[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new InputError(source, `not a readable CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  const [ip, il, is, it] = [col('path'), col('label'), col('score'), col('type')];
  if (ip < 0 || il < 0 || is < 0) throw new InputError(source, `expected a header with columns path,label,score; found: ${header.join(',') || '(empty file)'}`);
  const rows: ScoredRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r] as string[];
    const line = r + 1;
    const label = Number(rec[il]);
    if (label !== 0 && label !== 1) throw new InputError(source, `line ${line}: label "${rec[il] ?? ''}" must be 0 (normal) or 1 (abnormal)`);
    const scoreText = rec[is] ?? '';
    const score = Number(scoreText);
    if (scoreText === '' || !Number.isFinite(score)) throw new InputError(source, `line ${line}: score "${scoreText}" is not a finite number`);
    const row: ScoredRow = { path: rec[ip] ?? '', label, score };
    const type = it >= 0 ? rec[it] : undefined;
    if (type) row.type = type;
    rows.push(row);
  }
  if (rows.length === 0) throw new InputError(source, 'no score rows');
  return rows;
}

/** Read a score CSV (see parseScoresCsv). */
export async function readScoresCsv(path: string): Promise<ScoredRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(path, code === 'ENOENT' ? 'file not found' : String(err));
  }
  return parseScoresCsv(text, path);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Score rows as CSV text, scores at full precision: `path,label,score[,type]`
 * (type when any row has one); with a threshold, the per-image table of a
 * report, `path,label,type,score,call` (call: abnormal when score >=
 * threshold, else normal), which parseScoresCsv reads back.
 */
export function formatScoresCsv(rows: readonly ScoredRow[], threshold?: number): string {
  const withType = threshold !== undefined || rows.some((r) => r.type !== undefined);
  const header = threshold !== undefined ? ['path', 'label', 'type', 'score', 'call'] : withType ? ['path', 'label', 'score', 'type'] : ['path', 'label', 'score'];
  const lines = [header.join(',')];
  for (const r of rows) {
    const field: Record<string, string> = {
      path: csvField(r.path),
      label: String(r.label),
      score: String(r.score),
      type: csvField(r.type ?? ''),
      call: threshold !== undefined && r.score >= threshold ? 'abnormal' : 'normal',
    };
    lines.push(header.map((h) => field[h]).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Write score rows as a CSV file (creates parent folders). */
export async function writeScoresCsv(path: string, rows: readonly ScoredRow[], threshold?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatScoresCsv(rows, threshold));
}
