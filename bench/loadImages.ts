/**
 * Milliseconds per image of the Node image loader (src/node/image/load.ts)
 * over the first N image files of a folder, one after another.
 *   node dist/bench/loadImages.js --dir FOLDER [--n 60] [--size 128]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isImageFile, loadImage } from '../src/node/image/load.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, n: { type: 'string', default: '60' }, size: { type: 'string', default: '128' } } });
const dir = values.dir as string;
const files = readdirSync(dir).filter(isImageFile).slice(0, Number(values.n)).map((f) => join(dir, f));
const t0 = performance.now();
for (const f of files) await loadImage(f, { size: Number(values.size) });
console.log(`${files.length} images: ${((performance.now() - t0) / files.length).toFixed(1)} ms each`);
