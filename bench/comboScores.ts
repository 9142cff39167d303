/**
 * Exploration: validation AUC of score kinds and of their sums. Each kind's
 * raw value is standardized with its mean and std over normal training
 * images (as scoring.json does), then kinds are added: a combination fitted
 * on normal images only; val labels are used only to measure AUC.
 *   node dist/bench/comboScores.js --run R [--which best|checkpoint] --data TRAIN --val VAL [--kinds input,position] [--train-images 200]
 */
import { parseArgs } from 'node:util';
import { loadRunModel } from './runModel.js';
import { useBackend } from '../src/node/backend/select.js';
import { trainingSource, validationSet } from '../src/node/train/data.js';
import { rocAuc } from '../src/node/metrics/roc.js';
import { meanStd, rawOf, scoreImages, type ScoreKind } from '../src/core/score/scorer.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    which: { type: 'string', default: 'best' },
    data: { type: 'string' },
    val: { type: 'string' },
    kinds: { type: 'string', default: 'input,position' },
    'train-images': { type: 'string', default: '200' },
  },
});

async function main(): Promise<void> {
  await useBackend('auto', { quiet: true });
  const { cfg, model } = await loadRunModel(values.run as string, values.which as string);
  const preset = cfg.preset;
  const size = preset.model.imageSize;
  const kinds = (values.kinds as string).split(',') as ScoreKind[];
  const source = await trainingSource(values.data as string, preset, 123);
  const train = await scoreImages(model, source.sample(Number(values['train-images'])), size, { kinds });
  const val = await validationSet(values.val as string, preset, 7);
  const v = await scoreImages(model, val.x, size, { kinds });
  // anomaly values: -(raw - mean) / std, higher = more anomalous
  const z: Record<string, number[]> = {};
  for (const k of kinds) {
    const { mean, std } = meanStd(rawOf(train, k));
    z[k] = Array.from(rawOf(v, k), (r) => -(r - mean) / std);
  }
  const rows = ['| kinds | AUC |', '| --- | ---: |'];
  for (const k of kinds) rows.push(`| ${k} | ${rocAuc(val.labels, z[k] as number[]).toFixed(3)} |`);
  for (let a = 0; a < kinds.length; a++) {
    for (let b = a + 1; b < kinds.length; b++) {
      const za = z[kinds[a] as string] as number[];
      const zb = z[kinds[b] as string] as number[];
      rows.push(`| ${kinds[a]} + ${kinds[b]} | ${rocAuc(val.labels, za.map((x, i) => x + (zb[i] as number))).toFixed(3)} |`);
    }
  }
  console.log(rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
