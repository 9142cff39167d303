/** `squid train`: train SQUID on normal images (or fresh DigitAnatomy images), resumable. */
import { Option, type Command } from 'commander';
import { useBackend, parseBackendChoice } from '../../backend/select.js';
import { addBackendOption, addJsonOption, parseIntOption, parsePositiveNumberOption, printResult } from '../options.js';
import { loadPreset } from '../loadPreset.js';
import { PRESET_NAMES } from '../../../core/squid/presets.js';
import { train } from '../../api.js';
import { checkResumable } from '../../train/runStart.js';
import { readRunConfig, runPaths } from '../../io/runDir.js';
import { SCORE_KINDS, type ScoreKind } from '../../../core/score/scorer.js';
import { SquidError } from '../../../core/util/errors.js';

interface TrainCliOptions {
  data?: string;
  preset?: string;
  config?: string;
  out: string;
  val?: string;
  epochs?: number;
  batchSize?: number;
  seed: number;
  backend: string;
  resume?: boolean;
  overwrite?: boolean;
  maxIters?: number;
  maxMinutes?: number;
  selectBy?: ScoreKind;
  valEvery?: number;
  progress: 'auto' | 'lines' | 'none';
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train SQUID on a folder of normal images (or "digitanatomy": freshly generated images); resumable')
    .option('--data <dir>', 'folder of normal training images, or "digitanatomy"')
    .option('--preset <name>', `${PRESET_NAMES.join(', ')} (default: the run's when resuming)`)
    .option('--config <file>', 'JSON file of preset overrides')
    .requiredOption('--out <run>', 'run folder (config.json, log.jsonl, checkpoint/, best/, scoring.json)')
    .option(
      '--val <dir>',
      'labelled validation folder, "digitanatomy" (a generated set: the default with --data digitanatomy), or "none": AUC every epoch, the best model kept',
    )
    .option('--epochs <n>', 'epochs (default: the preset\'s)', parseIntOption('--epochs', 1))
    .option('--batch-size <n>', 'batch size (default: the preset\'s)', parseIntOption('--batch-size', 1))
    .option('--seed <n>', 'random seed', parseIntOption('--seed', 0), 0)
    .option('--resume', 'continue the run in --out from its checkpoint')
    .option('--overwrite', 'delete the run already in --out and start again (without it, such a folder is refused)')
    .option('--max-iters <n>', 'stop after N iterations in all (checkpointed; resume continues)', parseIntOption('--max-iters', 0))
    .option(
      '--max-minutes <m>',
      'stop once the run has taken M minutes of wall time in all, validation included (checkpointed, best model kept, scored; resume continues)',
      parsePositiveNumberOption('--max-minutes'),
    )
    .option('--val-every <k>', 'validate every k-th epoch (default 1; 10 for presets with a patch memory, which each validation refills)', parseIntOption('--val-every', 1))
    .addOption(new Option('--select-by <kind>', "score kind whose validation AUC picks the best model (default: the preset's score kind)").choices(SCORE_KINDS as string[]))
    .addOption(new Option('--progress <mode>', 'progress display on stderr: a bar on a terminal, else lines (auto), lines, or none').choices(['auto', 'lines', 'none']).default('auto'))
    .option('--quiet', 'no progress display (as --progress none)');
  addJsonOption(addBackendOption(cmd)).action(async (o: TrainCliOptions) => {
    const info = await useBackend(parseBackendChoice(o.backend));
    if (o.resume && o.overwrite) throw new SquidError('--resume and --overwrite exclude each other');
    if (o.resume && o.config) {
      throw new SquidError(`--config cannot change a resumed run (its settings are in ${runPaths(o.out).config}); start a new run to use it`);
    }
    const stored = o.resume ? await readRunConfig(o.out) : null;
    if (!stored && !o.data) throw new SquidError('--data is required (a folder of normal images, or "digitanatomy")');
    if (!stored && !o.preset) throw new SquidError('--preset is required');
    // a resumed run continues with its stored preset; a --preset given with it must match
    let preset = o.preset ? loadPreset(o.preset, o.config) : undefined;
    if (stored && preset) checkResumable(o.out, stored.preset, { ...preset, train: { ...preset.train, batchSize: stored.preset.train.batchSize } });
    if (stored) preset = undefined;
    let val: string | null | undefined = o.val === 'none' ? null : o.val;
    if (!stored && val === undefined && o.data === 'digitanatomy') val = 'digitanatomy';
    const controller = new AbortController();
    let exitCode = 130;
    const onSignal = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) {
        process.stderr.write('squid: still saving the checkpoint; it takes a few seconds\n');
        return;
      }
      exitCode = signal === 'SIGTERM' ? 143 : 130;
      process.stderr.write(`\nsquid: ${signal}: stopping after this iteration and saving a checkpoint\n`);
      controller.abort();
    };
    // Ctrl-C, or a job scheduler's SIGTERM: finish the iteration, save, stop.
    // A second signal does not cut the save short.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const r = await train({
        data: o.data,
        preset,
        out: o.out,
        val,
        epochs: o.epochs,
        batchSize: o.batchSize,
        seed: stored ? undefined : o.seed,
        resume: o.resume,
        overwrite: o.overwrite,
        maxIters: o.maxIters,
        maxMinutes: o.maxMinutes,
        selectBy: o.selectBy,
        valEvery: o.valEvery ?? ((preset ?? stored?.preset)?.model.patchMemory ? 10 : 1),
        progress: o.quiet ? 'none' : o.progress,
        signal: controller.signal,
      });
      printResult(o.json, { ...r, backend: info.name }, () => [
        `run: ${r.run}`,
        `stopped by: ${r.stoppedBy}; ${r.iterations} iterations, ${r.epochs} epochs complete`,
        `backend: ${info.name}; ${r.secondsPerIteration.toFixed(3)} s per iteration`,
        r.bestValAuc !== null ? `best validation AUC (${r.selectBy}): ${r.bestValAuc.toFixed(4)} at epoch ${(r.bestEpoch ?? 0) + 1}` : '',
        ...(r.scoring
          ? SCORE_KINDS.map((k) => {
              const s = r.scoring?.[k];
              return s ? `${k} score: threshold ${s.threshold.toFixed(4)} (${s.policy}), train mean ${s.mean.toPrecision(5)}, std ${s.std.toPrecision(3)}` : '';
            })
          : [`interrupted: continue with squid train --out ${r.run} --resume`]),
      ].filter((l) => l !== ''));
      if (r.stoppedBy === 'interrupted') process.exitCode = exitCode;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
