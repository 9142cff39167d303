/**
 * `squid eval`: score a labelled folder with a trained run and write the
 * evaluation report (metrics.json, roc.svg, report.html with input and
 * reconstruction thumbnails): the AUC of every score kind, per anomaly type
 * where the data names types, and metrics at a threshold.
 */
import { Option, type Command } from 'commander';
import { useBackend, parseBackendChoice } from '../../backend/select.js';
import { hintWorkload } from '../../../core/ops/hints.js';
import { addBackendOption, addJsonOption, printResult } from '../options.js';
import { cliTasks } from '../../taskProgress.js';
import { evaluateRun, type EvalOptions } from '../../score/evaluateRun.js';
import { SCORE_KINDS, type ScoreKind } from '../../../core/score/scorer.js';
import { SCORE_KIND_LABELS } from '../../../core/squid/presets.js';

interface EvalCliOptions {
  run: string;
  data: string;
  out: string;
  threshold: string;
  score: ScoreKind;
  val?: string;
  backend: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate a trained run on a labelled folder and write report.html, metrics.json and roc.svg')
    .requiredOption('--run <dir>', 'run folder made by squid train')
    .requiredOption('--data <dir>', 'labelled folder: labels.csv (path,label,type) or class sub-folders (normal/ and others)')
    .requiredOption('--out <dir>', 'report folder')
    .option(
      '--threshold <policy>',
      'stored (the run\'s threshold), val-f1 (needs --val), normal-quantile:Q (on the training images\' scores), fixed:X, or oracle',
      'stored',
    )
    .option('--val <dir>', 'labelled validation folder for --threshold val-f1')
    .addOption(new Option('--score <kind>', "primary score kind (default: the run's preset's)").choices(SCORE_KINDS as string[]))
    .option('--quiet', 'no progress display on stderr');
  addJsonOption(addBackendOption(cmd)).action(async (o: EvalCliOptions) => {
    const info = await useBackend(parseBackendChoice(o.backend));
    hintWorkload('inference');
    const opts: EvalOptions = { run: o.run, data: o.data, out: o.out, threshold: o.threshold, score: o.score, val: o.val, backend: info.name, progress: cliTasks(o.quiet) };
    const r = await evaluateRun(opts);
    const m = r.metrics;
    const kind = m.score_name;
    printResult(o.json, { metrics: m, threshold: r.thresholdNote, files: r.files, warnings: r.warnings }, () => [
      `${m.counts.total} images (${m.counts.normal} normal, ${m.counts.abnormal} abnormal)`,
      `score: ${kind}, ${SCORE_KIND_LABELS[kind as ScoreKind] ?? kind}`,
      `AUC ${kind}: ${m.auc.toFixed(4)} [${m.auc_ci.low.toFixed(3)}, ${m.auc_ci.high.toFixed(3)}]`,
      ...Object.entries(m.per_type_auc ?? {}).map(([t, v]) => `  ${kind} AUC ${t}: ${v.auc.toFixed(4)} (n=${v.n})`),
      ...Object.entries(m.extra_scores ?? {}).flatMap(([k, v]) => [
        `AUC ${k}: ${v.auc.toFixed(4)} [${v.auc_ci.low.toFixed(3)}, ${v.auc_ci.high.toFixed(3)}]`,
        ...Object.entries(v.per_type_auc ?? {}).map(([t, x]) => `  ${k} AUC ${t}: ${x.auc.toFixed(4)} (n=${x.n})`),
      ]),
      `threshold ${m.threshold.value.toFixed(4)} (${r.thresholdNote}): accuracy ${m.metrics.accuracy.toFixed(4)}, F1 ${m.metrics.f1.toFixed(4)}`,
      `report: ${r.files.reportHtml}`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ]);
  });
}
