/**
 * One writer per run folder (Node only): RUN/.lock, created exclusively,
 * holds the owner's PID and host. A second process refuses, naming the
 * holder; a lock whose process is gone (a crash, kill -9) is taken over
 * with a note.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SquidError } from '../../core/util/errors.js';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Whether process `pid` on this host still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockInfo | null> {
  try {
    const doc = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockInfo>;
    return typeof doc.pid === 'number' && typeof doc.host === 'string' ? (doc as LockInfo) : null;
  } catch {
    return null; // unreadable or half-written: its writer died while creating it
  }
}

/** Takes RUN/.lock; returns its release. Throws SquidError when another live process holds it. */
export async function lockRun(run: string, note: (message: string) => void): Promise<() => Promise<void>> {
  await fs.mkdir(run, { recursive: true });
  const file = path.join(run, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(mine) + '\n', { flag: 'wx' });
      return async () => {
        const held = await readLock(file);
        if (held?.pid === mine.pid && held.host === mine.host) await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readLock(file);
    if (held && held.host !== mine.host) {
      throw new SquidError(`${run} is in use by process ${held.pid} on ${held.host} (since ${held.since}); if that run is over, delete ${file}`);
    }
    if (held && alive(held.pid)) {
      throw new SquidError(`${run} is in use by process ${held.pid} (since ${held.since}); wait for it to end or stop it`);
    }
    note(`${file}: taking over the lock of process ${held?.pid ?? '?'}, which is no longer running`);
    await fs.rm(file, { force: true });
  }
  throw new SquidError(`${file}: could not take the run's lock (another process keeps taking it)`);
}
