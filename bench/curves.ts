/**
 * Validation AUC against wall minutes, one line per run and score kind, from
 * runs' log.jsonl files (for docs/detection.md):
 *   node dist/bench/curves.js --out docs/figures/zhanglab.svg --kinds input,discriminator RUN[=label] ...
 * Minutes are the runs' own elapsedSeconds (validation included).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readLog } from '../src/node/io/runDir.js';
import { lineChartSvg, type LineSeries } from '../src/node/report/svg.js';
import { SCORE_KINDS, type ScoreKind } from '../src/core/squid/presets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, kinds: { type: 'string', default: SCORE_KINDS.join(',') }, title: { type: 'string' } },
});
if (!values.out || positionals.length === 0) throw new Error('usage: curves --out FILE.svg [--kinds a,b] RUN[=label] ...');
const kinds = (values.kinds as string).split(',') as ScoreKind[];

// every (run, kind) gets its own line over the union of the minutes at which any run validated
const points: { name: string; at: Map<number, number> }[] = [];
for (const arg of positionals) {
  const [run, label] = arg.split('=') as [string, string | undefined];
  const log = await readLog(run);
  for (const k of kinds) {
    const at = new Map<number, number>();
    for (const e of log) {
      const auc = e.valAuc?.[k];
      if (auc !== undefined && e.elapsedSeconds !== undefined) at.set(Math.round(e.elapsedSeconds / 6) / 10, auc);
    }
    if (at.size > 0) points.push({ name: `${label ?? run} ${k}`, at });
  }
}
const xs = [...new Set(points.flatMap((p) => [...p.at.keys()]))].sort((a, b) => a - b);
const series: LineSeries[] = points.map((p) => ({ name: p.name, y: xs.map((x) => p.at.get(x) ?? null) }));
const svg = lineChartSvg(xs, series, { title: values.title ?? 'validation AUC against wall minutes', xLabel: 'minutes (2 cores)', yLabel: 'validation AUC', yRange: [0.2, 1] });
await writeFile(values.out, svg);
process.stdout.write(`wrote ${values.out} (${series.length} lines)\n`);
