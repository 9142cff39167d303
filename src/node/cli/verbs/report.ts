/** `squid report`: metrics.json, roc.svg and report.html from a score CSV. */
import type { Command } from 'commander';
import { readScoresCsv } from '../../report/csv.js';
import type { ThumbnailProvider } from '../../report/types.js';
import { fileThumbnails, writeReport } from '../../report/write.js';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { defaultPolicy } from '../../report/evaluate.js';
import { formatThresholdPolicy, parseThresholdPolicy } from '../../metrics/threshold.js';
import { addJsonOption, parseIntOption, printResult } from '../options.js';

interface Opts {
  scores: string;
  out: string;
  threshold?: string;
  valScores?: string;
  normalScores?: string;
  bootstrap: number;
  seed: number;
  thumbnails: number;
  title?: string;
  json?: boolean;
}

const f4 = (v: number): string => v.toFixed(4);

/** Thumbnails of the files; a relative path not found from the working folder is tried beside the CSV. */
function thumbnailsBesideCsv(csv: string): ThumbnailProvider {
  const files = fileThumbnails();
  return (path, row) => {
    const alt = join(dirname(csv), path);
    return files(!isAbsolute(path) && !existsSync(path) && existsSync(alt) ? alt : path, row);
  };
}

export function register(program: Command): void {
  addJsonOption(program.command('report'))
    .description('evaluate a score CSV (path,label,score): AUC with interval, metrics at a threshold, ROC curve, HTML report')
    .requiredOption('--scores <file.csv>', 'scores to evaluate: columns path,label,score[,type]; label 1 = abnormal; higher score = more anomalous')
    .requiredOption('--out <dir>', 'output folder for metrics.json, roc.svg and report.html')
    .option(
      '--threshold <policy>',
      'val-f1 | normal-quantile:Q | fixed:X | oracle (default: val-f1 with --val-scores, else normal-quantile:0.95)',
    )
    .option('--val-scores <file.csv>', 'validation scores (same columns) for val-f1 / normal-quantile')
    .option('--normal-scores <file.csv>', 'scores of normal reference images (e.g. training) for normal-quantile')
    .option('--bootstrap <n>', 'bootstrap resamples for the AUC interval', parseIntOption('--bootstrap', 1), 1000)
    .option('--seed <n>', 'bootstrap seed', parseIntOption('--seed'), 0)
    .option('--thumbnails <n>', 'thumbnails per group (0: none)', parseIntOption('--thumbnails'), 8)
    .option('--title <text>', 'page title')
    .action(async (opts: Opts) => {
      const rows = await readScoresCsv(opts.scores);
      const valRows = opts.valScores ? await readScoresCsv(opts.valScores) : undefined;
      const normalRef = opts.normalScores ? (await readScoresCsv(opts.normalScores)).filter((r) => r.label === 0).map((r) => r.score) : undefined;
      const policy = opts.threshold ? parseThresholdPolicy(opts.threshold) : defaultPolicy(!!valRows);
      const { metrics: m, files } = await writeReport({
        out: opts.out,
        rows,
        valRows,
        normalReferenceScores: normalRef,
        threshold: policy,
        bootstrap: { n: opts.bootstrap, seed: opts.seed },
        thumbnails: opts.thumbnails === 0 ? false : thumbnailsBesideCsv(opts.scores),
        thumbnailCount: opts.thumbnails,
        title: opts.title,
      });
      const tag = m.threshold.oracle ? ' [oracle]' : '';
      const lines = (): string[] => [
        `images: ${m.counts.total} (${m.counts.normal} normal, ${m.counts.abnormal} abnormal)`,
        `AUC: ${f4(m.auc)} (95% interval ${f4(m.auc_ci.low)}-${f4(m.auc_ci.high)})`,
        `threshold${tag}: ${f4(m.threshold.value)} by ${formatThresholdPolicy(policy)} (${m.threshold.source})`,
        `at threshold${tag}: accuracy ${f4(m.metrics.accuracy)}, F1 ${f4(m.metrics.f1)}, precision ${f4(m.metrics.precision)}, ` +
          `recall ${f4(m.metrics.recall)}, specificity ${f4(m.metrics.specificity)}`,
      ];
      const notes = (): string[] => {
        const out: string[] = [];
        if (m.threshold.source === 'evaluated-normals') {
          out.push('note: the normal-quantile threshold came from the evaluated normal images; give --val-scores or --normal-scores to keep it independent of them');
        }
        if (m.oracle_best_accuracy) {
          const o = m.oracle_best_accuracy;
          out.push(`oracle (best accuracy on these labels): threshold ${f4(o.threshold)}, accuracy ${f4(o.metrics.accuracy)}, F1 ${f4(o.metrics.f1)}`);
        }
        if (m.per_type_auc) out.push(`per type AUC: ${Object.entries(m.per_type_auc).map(([k, v]) => `${k} ${f4(v.auc)}`).join(', ')}`);
        out.push(`wrote ${files.metricsJson}, ${files.rocSvg}, ${files.histogramSvg}, ${files.scoresCsv}, ${files.reportHtml}`);
        return out;
      };
      printResult(opts.json, { metrics: m, files }, () => [...lines(), ...notes()]);
    });
}
