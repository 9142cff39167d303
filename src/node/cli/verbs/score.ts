/** `squid score`: anomaly scores (and optional heatmaps) of image files with a trained run. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { listImages } from '../../data/folders.js';
import { InputError } from '../../../core/util/errors.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { useBackend, parseBackendChoice } from '../../backend/select.js';
import { hintWorkload } from '../../../core/ops/hints.js';
import { addBackendOption } from '../options.js';
import { loadDetector } from '../../api.js';
import { loadImage, encodeRgbPng } from '../../image/load.js';
import { rawOf, SCORE_KINDS, type ScoreKind } from '../../../core/score/scorer.js';
import { HEATMAP_KINDS, type HeatmapKind } from '../../../core/score/detector.js';
import { heatmapPanels } from '../../score/heatmapImage.js';

interface ScoreCliOptions {
  run: string;
  json?: boolean;
  heatmaps?: string;
  score?: ScoreKind;
  heatmap?: HeatmapKind;
  backend: string;
}

/** Distinct PNG names for the heatmaps of `files` (basename, then _2, _3, ... until unused). */
export function heatmapNames(files: readonly string[]): string[] {
  const used = new Set<string>();
  return files.map((f) => {
    const base = path.basename(f, path.extname(f));
    let name = `${base}.png`;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}.png`;
    used.add(name);
    return name;
  });
}

/** The arguments with each folder replaced by the image files directly in it (sorted). */
async function expandFolders(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    const isDir = await stat(a).then((st) => st.isDirectory(), () => false);
    if (!isDir) {
      out.push(a);
      continue;
    }
    const found = await listImages(a);
    if (found.length === 0) throw new InputError(a, 'a folder with no image files in it');
    out.push(...found);
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('score')
    .description('score image files with a trained run: file, anomaly score (1 - sigmoid(z), higher = more anomalous), label')
    .argument('<files...>', 'image files, or folders (their image files, not recursive)')
    .requiredOption('--run <dir>', 'run folder made by squid train')
    .option('--json', 'print JSON instead of lines')
    .option('--heatmaps <dir>', 'write one PNG per image: input | reconstruction | heatmap overlay')
    .addOption(new Option('--score <kind>', "score kind (default: the run's preset's)").choices(SCORE_KINDS as string[]))
    .addOption(new Option('--heatmap <kind>', 'heatmap kind (with --heatmaps; default: memory or position for those scores, else gradcam)').choices(HEATMAP_KINDS as string[]));
  addBackendOption(cmd).action(async (args: string[], o: ScoreCliOptions) => {
    const files = await expandFolders(args);
    await useBackend(parseBackendChoice(o.backend));
    hintWorkload('inference');
    const detector = await loadDetector(o.run, o.score ? { kind: o.score } : {});
    const kind = detector.kind;
    try {
      const size = detector.size;
      const px = size * size;
      const all = new Float32Array(files.length * px);
      for (let i = 0; i < files.length; i++) all.set(await loadImage(files[i] as string, { size }), i * px);
      const raw = await detector.rawScores(all, [kind]);
      const scores = detector.fromRaw(rawOf(raw, kind), kind);
      const heatmapFiles: (string | undefined)[] = files.map(() => undefined);
      if (o.heatmaps) {
        await mkdir(o.heatmaps, { recursive: true });
        const names = heatmapNames(files);
        for (let i = 0; i < files.length; i++) {
          const input = all.subarray(i * px, (i + 1) * px);
          const { heatmap, reconstruction } = await detector.heatmap(input, o.heatmap);
          const p = heatmapPanels(input, reconstruction, heatmap, size);
          const out = path.join(o.heatmaps, names[i] as string);
          await writeFile(out, await encodeRgbPng(p.rgb, p.width, p.height));
          heatmapFiles[i] = out;
        }
      }
      if (o.json) {
        const rows = files.map((file, i) => {
          const s = scores[i];
          return {
            file,
            score: s?.score,
            label: s?.anomalous ? 'abnormal' : 'normal',
            threshold: s?.threshold,
            kind,
            raw: s?.raw,
            policy: detector.stats(kind).policy,
            ...(heatmapFiles[i] ? { heatmap: heatmapFiles[i] } : {}),
          };
        });
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      } else {
        const lines = files.map((file, i) => {
          const s = scores[i];
          return `${file}\t${s?.score.toFixed(6)}\t${s?.anomalous ? 'abnormal' : 'normal'}`;
        });
        process.stdout.write(lines.join('\n') + '\n');
      }
    } finally {
      detector.dispose();
    }
  });
}
