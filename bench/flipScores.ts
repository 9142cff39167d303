/**
 * Exploration: which flipped (or blank) digits the position score misses. For each
 * grid position and flip direction, AUC of that position's value (the
 * position head's -log p of its own position) on flipped tiles against the
 * same position on normal images (validation digits, seed 7).
 *   node dist/bench/flipScores.js --run R [--which best|checkpoint] [--n 200]
 * Reads model internals on purpose (it is a measuring tool, not the product).
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import { createDigitAnatomy } from '../src/node/digitanatomy/create.js';
import { Rng } from '../src/core/util/rng.js';
import { rocAuc } from '../src/node/metrics/roc.js';

const { values } = parseArgs({ options: { run: { type: 'string' }, which: { type: 'string', default: 'best' }, n: { type: 'string', default: '200' } } });

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const { cfg, model } = await loadRunModel(values.run as string, values.which as string);
  const size = cfg.preset.model.imageSize;
  const gen = await createDigitAnatomy({ size, split: 'val' });
  const rng = new Rng(7);
  const n = Number(values.n);
  const nll = (tiles: ReturnType<typeof gen.sampleNormalTiles>[]): number[][] => {
    const x = new Float32Array(tiles.length * size * size);
    tiles.forEach((t, i) => x.set(gen.render(t), i * size * size));
    return tf.tidy(() => tf.neg(model.positionLogProbs(tf.tensor4d(x, [tiles.length, size, size, 1]))).arraySync() as number[][]);
  };
  const normals = nll(Array.from({ length: n }, () => gen.sampleNormalTiles(rng)));
  const rows = ['| digit | horizontal | vertical | blank |', '| --- | ---: | ---: | ---: |'];
  for (let p = 0; p < 9; p++) {
    const cells: string[] = [];
    for (const change of [{ flip: 'horizontal' as const }, { flip: 'vertical' as const }, { blank: true }]) {
      const flipped = nll(Array.from({ length: n }, () => {
        const t = gen.sampleNormalTiles(rng);
        t[p] = { ...(t[p] as (typeof t)[number]), ...change };
        return t;
      }));
      const a = normals.map((r) => r[p] as number);
      const b = flipped.map((r) => r[p] as number);
      cells.push(rocAuc([...a.map(() => 0), ...b.map(() => 1)], [...a, ...b]).toFixed(3));
    }
    rows.push(`| ${p + 1} | ${cells.join(' | ')} |`);
  }
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
