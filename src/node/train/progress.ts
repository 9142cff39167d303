/**
 * Training progress on stderr: a progress bar on a TTY (epoch, iteration,
 * ETA, losses), plain log lines otherwise, or nothing.
 */
import cliProgress from 'cli-progress';
import { barTasks, lineTasks, silentTasks, type TaskProgress } from '../taskProgress.js';

/** What is left of the whole run when an epoch starts: its iterations (to the schedule's end or --max-iters), and its seconds (--max-minutes). */
export interface RunLeft {
  iterations: number;
  seconds?: number;
}

/** Seconds of training left in the run at `rate` seconds per iteration, `doneSince` iterations and `elapsed` seconds after the epoch began (validation not counted). */
export function runEta(run: RunLeft, rate: number, doneSince: number, elapsed: number): number {
  const byIterations = rate * Math.max(0, run.iterations - doneSince);
  return run.seconds === undefined ? byIterations : Math.min(byIterations, Math.max(0, run.seconds - elapsed));
}

export interface ProgressReporter {
  /** An epoch begins at iteration `done` of `total`; `run`: what is left of the whole run. */
  startEpoch(epoch: number, epochs: number, done: number, total: number, run?: RunLeft): void;
  /** `done` iterations of the epoch are finished; losses are this iteration's. */
  update(done: number, losses: Record<string, number>): void;
  /** The epoch ended (or stopped); `summary` is its one-line result. */
  endEpoch(summary: string): void;
  /** A message outside any epoch. */
  info(line: string): void;
  /** Training is over: release the display (a bar's hidden cursor). */
  done(): void;
  /** Progress of a long step between epochs (validation, the final score statistics), in the same style. */
  tasks: TaskProgress;
}

export function formatLosses(losses: Record<string, number>): string {
  return Object.entries(losses)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2)}`)
    .join(' ');
}

export const silentProgress: ProgressReporter = {
  startEpoch() {},
  update() {},
  endEpoch() {},
  info() {},
  done() {},
  tasks: silentTasks,
};

/** Plain lines: about ten per epoch (at least 20 s apart), and the epoch summary. ETA: of the epoch, and of the run's training. */
export function lineProgress(write: (s: string) => void = (s) => process.stderr.write(s), clock: () => number = Date.now): ProgressReporter {
  let epochLabel = '';
  let total = 0;
  let last = 0;
  let t0 = 0;
  let d0 = 0;
  let run: RunLeft | undefined;
  return {
    startEpoch(epoch, epochs, done, tot, left) {
      epochLabel = `epoch ${epoch + 1}/${epochs}`;
      total = tot;
      last = clock();
      t0 = last;
      d0 = done;
      run = left;
    },
    update(done, losses) {
      const now = clock();
      const every = Math.max(1, Math.floor(total / 10));
      if (done === total || (done % every === 0 && now - last >= 20_000)) {
        last = now;
        const rate = (now - t0) / 1000 / Math.max(1, done - d0);
        const eta = Math.round(rate * (total - done));
        const runText = run ? `, run ${Math.round(runEta(run, rate, done - d0, (now - t0) / 1000))} s` : '';
        write(`${epochLabel} it ${done}/${total} (${rate.toFixed(2)} s/it, ETA epoch ${eta} s${runText}) ${formatLosses(losses)}\n`);
      }
    },
    endEpoch(summary) {
      write(summary + '\n');
    },
    info(line) {
      write(line + '\n');
    },
    done() {},
    tasks: lineTasks(write, clock),
  };
}

/** A cli-progress bar on stderr. */
export function barProgress(): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let run: RunLeft | undefined;
  let t0 = 0;
  let d0 = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    startEpoch(epoch, epochs, done, total, left) {
      stop();
      run = left;
      t0 = Date.now();
      d0 = done;
      bar = new cliProgress.SingleBar(
        {
          format: 'epoch {epoch} |{bar}| {value}/{total} it | ETA epoch {eta_formatted}{run} | {losses}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done, { epoch: `${epoch + 1}/${epochs}`, losses: '', run: '' });
    },
    update(done, losses) {
      const elapsed = (Date.now() - t0) / 1000;
      const rate = elapsed / Math.max(1, done - d0);
      const runText = run ? `, run ${Math.round(runEta(run, rate, done - d0, elapsed))}s` : '';
      bar?.update(done, { losses: formatLosses(losses), run: runText });
    },
    endEpoch(summary) {
      stop();
      process.stderr.write(summary + '\n');
    },
    info(line) {
      stop();
      process.stderr.write(line + '\n');
    },
    done: stop,
    tasks: (task, total) => {
      stop();
      return barTasks()(task, total);
    },
  };
}

export function autoProgress(): ProgressReporter {
  return process.stderr.isTTY ? barProgress() : lineProgress();
}
