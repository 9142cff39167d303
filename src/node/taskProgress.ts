/**
 * Progress of one long step (loading images, scoring them, drawing
 * heatmaps) on stderr: a bar on a TTY, plain lines otherwise (the start, at
 * most one every 10 s, the end), or nothing. Library calls are silent
 * unless given one; the CLI gives one unless --quiet.
 */
import cliProgress from 'cli-progress';

export interface TaskTicker {
  /** `done` of the task's items are finished. */
  tick(done: number): void;
  /** The task is over (or failed): release the display. */
  end(): void;
}

/** Starts a task of `total` items, named for the user (e.g. "scoring 624 images"). */
export type TaskProgress = (task: string, total: number) => TaskTicker;

export const silentTasks: TaskProgress = () => ({ tick() {}, end() {} });

const LINE_EVERY_MS = 10_000;

/** Plain lines: "task...", then "task: done/total (p%), ETA s" at most every 10 s, then "task: done in s". */
export function lineTasks(write: (s: string) => void = (s) => process.stderr.write(s), clock: () => number = Date.now): TaskProgress {
  return (task, total) => {
    const t0 = clock();
    let last = t0;
    let done = 0;
    write(`${task}...\n`);
    return {
      tick(n) {
        done = n;
        const now = clock();
        if (now - last < LINE_EVERY_MS || n >= total) return;
        last = now;
        const eta = ((now - t0) / Math.max(1, n)) * (total - n);
        write(`${task}: ${n}/${total} (${Math.round((100 * n) / total)}%), ETA ${Math.round(eta / 1000)} s\n`);
      },
      end() {
        write(`${task}: ${done}/${total} in ${((clock() - t0) / 1000).toFixed(1)} s\n`);
      },
    };
  };
}

/** A cli-progress bar per task. */
export function barTasks(): TaskProgress {
  return (task, total) => {
    const bar = new cliProgress.SingleBar(
      { format: `${task} |{bar}| {value}/{total} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      tick: (n) => bar.update(n),
      end: () => bar.stop(),
    };
  };
}

/** The CLI's choice: nothing with --quiet, a bar on a TTY, lines otherwise. */
export function cliTasks(quiet: boolean | undefined): TaskProgress {
  if (quiet === true) return silentTasks;
  return process.stderr.isTTY ? barTasks() : lineTasks();
}

/** Runs fn with a ticker for a task, ending it whatever happens. */
export async function withTask<T>(progress: TaskProgress, task: string, total: number, fn: (tick: (done: number) => void) => Promise<T>): Promise<T> {
  const t = progress(task, total);
  try {
    return await fn((n) => t.tick(n));
  } finally {
    t.end();
  }
}
