/**
 * Write the DigitAnatomy benchmark to a folder (Node only):
 *   DIR/train/NNNNN.png                    normal training images (MNIST 'train' split)
 *   DIR/test/normal/NNNNN.png              normal test images (MNIST 'test' split)
 *   DIR/test/abnormal/<type>_NNN.png       anomalies, the four types in equal parts
 *   DIR/labels.csv                         path,label,type of every test image (paths relative to DIR)
 *   DIR/samples.png                        a sample sheet (normal row, then one row per type)
 * DIR/test is also a labelled folder (normal/ = 0, abnormal/ = 1).
 * Train and test digits come from disjoint MNIST samples.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../core/util/rng.js';
import { saveGrayPng } from '../image/encode.js';
import { ANOMALY_TYPES, DigitAnatomy, type AnomalyType } from './generator.js';
import { loadMnistDigits } from './mnistNode.js';
import { sampleSheet } from './sheet.js';

export interface WriteDigitAnatomyOptions {
  out: string;
  /** Normal training images. Default 1600. */
  train?: number;
  /** Normal test images. Default 400. */
  normal?: number;
  /** Abnormal test images, split over the four types (remainder to the first types). Default 400. */
  abnormal?: number;
  /** Default 96. */
  size?: number;
  /** Default 0. */
  seed?: number;
  /** Called after each image written. */
  onProgress?: (done: number, total: number) => void;
}

export interface DigitAnatomySummary {
  out: string;
  train: number;
  normal: number;
  abnormal: Record<AnomalyType, number>;
  labelsCsv: string;
  sampleSheet: string;
}

/** How many abnormal images of each type: equal parts, the remainder going to the first types. */
export function typeCounts(total: number): Record<AnomalyType, number> {
  const base = Math.floor(total / ANOMALY_TYPES.length);
  const rem = total % ANOMALY_TYPES.length;
  const out = {} as Record<AnomalyType, number>;
  ANOMALY_TYPES.forEach((t, i) => (out[t] = base + (i < rem ? 1 : 0)));
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export async function writeDigitAnatomy(opts: WriteDigitAnatomyOptions): Promise<DigitAnatomySummary> {
  const size = opts.size ?? 96;
  const nTrain = opts.train ?? 1600;
  const nNormal = opts.normal ?? 400;
  const nAbnormal = opts.abnormal ?? 400;
  const digits = await loadMnistDigits();
  const root = new Rng(opts.seed ?? 0);
  const trainRng = root.fork();
  const testRng = root.fork();
  const sheetRng = root.fork();
  const trainGen = new DigitAnatomy({ size, digits, split: 'train' });
  const testGen = new DigitAnatomy({ size, digits, split: 'test' });
  const counts = typeCounts(nAbnormal);
  const total = nTrain + nNormal + nAbnormal;
  let done = 0;

  const jobs: (() => Promise<void>)[] = [];
  const wTrain = Math.max(5, String(nTrain).length);
  for (let i = 0; i < nTrain; i++) {
    const img = trainGen.normal(trainRng);
    jobs.push(() => saveGrayPng(join(opts.out, 'train', `${pad(i, wTrain)}.png`), img, size, size));
  }
  const labels: string[] = ['path,label,type'];
  const wNormal = Math.max(5, String(nNormal).length);
  for (let i = 0; i < nNormal; i++) {
    const img = testGen.normal(testRng);
    const rel = `test/normal/${pad(i, wNormal)}.png`;
    labels.push(`${rel},0,normal`);
    jobs.push(() => saveGrayPng(join(opts.out, rel), img, size, size));
  }
  for (const t of ANOMALY_TYPES) {
    const w = Math.max(3, String(counts[t]).length);
    for (let i = 0; i < counts[t]; i++) {
      const img = testGen.abnormal(t, testRng).image;
      const rel = `test/abnormal/${t}_${pad(i, w)}.png`;
      labels.push(`${rel},1,${t}`);
      jobs.push(() => saveGrayPng(join(opts.out, rel), img, size, size));
    }
  }
  await mkdir(join(opts.out, 'train'), { recursive: true });
  await mkdir(join(opts.out, 'test', 'normal'), { recursive: true });
  await mkdir(join(opts.out, 'test', 'abnormal'), { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++] as () => Promise<void>;
      await job();
      done++;
      opts.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  const labelsCsv = join(opts.out, 'labels.csv');
  await writeFile(labelsCsv, labels.join('\n') + '\n');
  const sheet = sampleSheet(testGen, sheetRng);
  const sheetPath = join(opts.out, 'samples.png');
  await saveGrayPng(sheetPath, sheet.data, sheet.width, sheet.height);
  return { out: opts.out, train: nTrain, normal: nNormal, abnormal: counts, labelsCsv, sampleSheet: sheetPath };
}
