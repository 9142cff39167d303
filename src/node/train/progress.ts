/**
 * Training progress on stderr: a progress bar on a TTY (epoch, iteration,
 * ETA, losses), plain log lines otherwise, or nothing.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** An epoch begins at iteration `done` of `total`. */
  startEpoch(epoch: number, epochs: number, done: number, total: number): void;
  /** `done` iterations of the epoch are finished; losses are this iteration's. */
  update(done: number, losses: Record<string, number>): void;
  /** The epoch ended (or stopped); `summary` is its one-line result. */
  endEpoch(summary: string): void;
  /** A message outside any epoch. */
  info(line: string): void;
  /** Training is over: release the display (a bar's hidden cursor). */
  done(): void;
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
};

/** Plain lines: about ten per epoch (at least 20 s apart), and the epoch summary. */
export function lineProgress(write: (s: string) => void = (s) => process.stderr.write(s)): ProgressReporter {
  let epochLabel = '';
  let total = 0;
  let last = 0;
  let t0 = 0;
  let d0 = 0;
  return {
    startEpoch(epoch, epochs, done, tot) {
      epochLabel = `epoch ${epoch + 1}/${epochs}`;
      total = tot;
      last = Date.now();
      t0 = last;
      d0 = done;
    },
    update(done, losses) {
      const now = Date.now();
      const every = Math.max(1, Math.floor(total / 10));
      if (done === total || (done % every === 0 && now - last >= 20_000)) {
        last = now;
        const rate = (now - t0) / 1000 / Math.max(1, done - d0);
        const eta = Math.round(rate * (total - done));
        write(`${epochLabel} it ${done}/${total} (${rate.toFixed(2)} s/it, ETA ${eta} s) ${formatLosses(losses)}\n`);
      }
    },
    endEpoch(summary) {
      write(summary + '\n');
    },
    info(line) {
      write(line + '\n');
    },
    done() {},
  };
}

/** A cli-progress bar on stderr. */
export function barProgress(): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    startEpoch(epoch, epochs, done, total) {
      stop();
      bar = new cliProgress.SingleBar(
        {
          format: 'epoch {epoch} |{bar}| {value}/{total} it | ETA {eta_formatted} | {losses}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done, { epoch: `${epoch + 1}/${epochs}`, losses: '' });
    },
    update(done, losses) {
      bar?.update(done, { losses: formatLosses(losses) });
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
  };
}

export function autoProgress(): ProgressReporter {
  return process.stderr.isTTY ? barProgress() : lineProgress();
}
