/** Where the repository and the compiled tree are, for tests that run the CLI, read fixtures or spawn scripts (this file is dist/test/repo.js). */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/ */
export const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const REPO = resolve(DIST, '..');
