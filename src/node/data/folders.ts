/**
 * Folder datasets:
 * - a labelled folder: each sub-folder is a class; sub-folders named
 *   normal / healthy / good / no_finding (any case; '-', ' ' and '_' alike)
 *   are label 0, every other sub-folder is label 1;
 * - a normal folder (training): a folder of images, or the normal
 *   sub-folder of a labelled folder.
 * Node only.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/util/errors.js';
import { isImageFile } from '../image/load.js';
import type { Label, LabelledItem } from './types.js';

const NORMAL_NAMES = new Set(['normal', 'healthy', 'good', 'no_finding', 'nofinding']);

/** Label of a class sub-folder name: 0 for normal/healthy/good/no_finding (any case), else 1. */
export function classLabelOf(name: string): Label {
  const key = name.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return NORMAL_NAMES.has(key) ? 0 : 1;
}

/** Image files directly inside dir (not recursive), sorted by name; absolute-or-as-given joined paths. */
export async function listImages(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(dir, code === 'ENOENT' ? 'folder not found' : code === 'ENOTDIR' ? 'not a folder' : String(err));
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && isImageFile(e.name))
    .map((e) => e.name)
    .sort()
    .map((n) => join(dir, n));
}

async function subFolders(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(dir, code === 'ENOENT' ? 'folder not found' : code === 'ENOTDIR' ? 'not a folder' : String(err));
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await linkTarget(join(dir, e.name))) === 'folder')) out.push(e.name);
  }
  return out.sort();
}

/** What a symbolic link points to; a dangling or looping link is an error naming it. */
async function linkTarget(p: string): Promise<'folder' | 'other'> {
  try {
    return (await stat(p)).isDirectory() ? 'folder' : 'other';
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(p, code === 'ELOOP' ? 'a symbolic link that loops' : 'a symbolic link whose target is missing');
  }
}

export interface LabelledFolderOptions {
  /** Require both a normal and an abnormal class (evaluation sets). Default true. */
  requireBothClasses?: boolean;
}

/**
 * Read a labelled folder: every image in every class sub-folder, sorted by
 * class then file name. Errors (InputError naming the folder): no
 * sub-folders, a class sub-folder without images, no images at all, and
 * (unless requireBothClasses is false) no normal or no abnormal class.
 */
export async function readLabelledFolder(dir: string, opts: LabelledFolderOptions = {}): Promise<LabelledItem[]> {
  const classes = await subFolders(dir);
  if (classes.length === 0) {
    throw new InputError(dir, 'expected one sub-folder per class (e.g. NORMAL/ and PNEUMONIA/), found none');
  }
  const items: LabelledItem[] = [];
  for (const c of classes) {
    const files = await listImages(join(dir, c));
    if (files.length === 0) throw new InputError(join(dir, c), 'class folder holds no images');
    const label = classLabelOf(c);
    for (const path of files) items.push({ path, label, className: c });
  }
  if (opts.requireBothClasses ?? true) {
    const hasNormal = items.some((i) => i.label === 0);
    const hasAbnormal = items.some((i) => i.label === 1);
    if (!hasNormal || !hasAbnormal) {
      throw new InputError(
        dir,
        `an evaluation set needs a normal class (sub-folder named normal/healthy/good/no_finding) and at least one other class; found only ${hasNormal ? 'normal' : 'abnormal'} classes: ${classes.join(', ')}`,
      );
    }
  }
  return items;
}

/**
 * Paths of the normal training images in dir: the images directly in dir,
 * or, when dir holds none but has class sub-folders, the images of its
 * normal sub-folder(s). InputError (naming dir) when neither is found.
 */
export async function readNormalFolder(dir: string): Promise<string[]> {
  const direct = await listImages(dir);
  if (direct.length > 0) return direct;
  const classes = await subFolders(dir);
  const normals = classes.filter((c) => classLabelOf(c) === 0);
  if (normals.length === 0) {
    throw new InputError(
      dir,
      classes.length === 0
        ? 'no images found (expected image files, or a normal/ sub-folder)'
        : `no images directly inside and no normal sub-folder (normal/healthy/good/no_finding) among: ${classes.join(', ')}`,
    );
  }
  const out: string[] = [];
  for (const c of normals) out.push(...(await listImages(join(dir, c))));
  if (out.length === 0) throw new InputError(join(dir, normals[0] as string), 'normal folder holds no images');
  return out;
}
