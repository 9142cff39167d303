/**
 * Crash-safe file writes (Node only): files written to a temporary name,
 * fsynced, then renamed; folders replaced so that at every crash point one
 * complete copy survives (`dest`, or its `.old` copy that readers fall back
 * to and the next replacement puts back). Errors name the file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../core/util/errors.js';

export async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileSynced(p: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.open(p, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a file atomically (temp file, fsync, rename): a reader sees the old file or the whole new one. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFileSynced(tmp, data);
  await fs.rename(tmp, file);
  await fsyncPath(path.dirname(file));
}

/** Writes a JSON file atomically (writeFileAtomic). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** The `.NAME.old` copy beside `dest` that a crash in the middle of a replacement leaves. */
export function oldCopyOf(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.old`);
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts a crash's leftovers of `dest` right before it is replaced: the `.old`
 * copy goes back into place when `dest` itself is missing, and temporary
 * folders of earlier, interrupted writes are removed (one writer per run:
 * runLock.ts).
 */
export async function recoverDir(dest: string): Promise<void> {
  const parent = path.dirname(dest);
  const base = path.basename(dest);
  const old = oldCopyOf(dest);
  if (!(await exists(dest)) && (await exists(old))) await fs.rename(old, dest);
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(`.${base}.tmp-`)) await fs.rm(path.join(parent, n), { recursive: true, force: true });
}

/** Re-throws a write error as one line naming the file (a full disk says so). */
function writeError(file: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') throw new InputError(file, 'no space left on the device; the previous copy is kept');
  if (code === 'EDQUOT') throw new InputError(file, 'disk quota exceeded; the previous copy is kept');
  if (code !== undefined) throw new InputError(file, `cannot write (${code}); the previous copy is kept`);
  throw err;
}

/**
 * Replaces folder `dest` with `files`, written into a fresh temporary folder
 * beside it and fsynced first. At every crash point one complete copy
 * survives: `dest`, or its `.old` copy (which readers fall back to and the
 * next replacement puts back). A failed write (e.g. a full disk) removes its
 * temporary folder and leaves `dest` as it was.
 */
export async function replaceDirAtomic(dest: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const parent = path.dirname(dest);
  await fs.mkdir(parent, { recursive: true });
  await recoverDir(dest);
  const tmp = await fs.mkdtemp(path.join(parent, `.${path.basename(dest)}.tmp-`));
  try {
    for (const [name, data] of Object.entries(files)) {
      const file = path.join(tmp, name);
      await writeFileSynced(file, data).catch((err: unknown) => writeError(path.join(dest, name), err));
    }
    await fsyncPath(tmp);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = oldCopyOf(dest);
  const hadDest = await exists(dest);
  if (hadDest) {
    // dest is complete, so a stale .old may go; then dest becomes the .old copy
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(dest, old);
  }
  await fs.rename(tmp, dest);
  await fsyncPath(parent);
  if (hadDest) await fs.rm(old, { recursive: true, force: true });
}

/** `dest`, or its `.old` copy when a crash interrupted a replacement. */
export async function existingDir(dest: string): Promise<string | null> {
  for (const d of [dest, oldCopyOf(dest)]) {
    try {
      if ((await fs.stat(d)).isDirectory()) return d;
    } catch {
      /* try the next */
    }
  }
  return null;
}
