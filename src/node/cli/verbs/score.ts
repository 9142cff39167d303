/** `squid score`: anomaly scores (and optional heatmaps) of image files with a trained run. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { listImages } from '../../data/folders.js';
import { InputError } from '../../../core/util/errors.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { useBackend, parseBackendChoice } from '../../backend/select.js';
import { hintWorkload } from '../../../core/ops/hints.js';
import { addBackendOption, addJsonOption, printResult } from '../options.js';
import { loadDetector } from '../../api.js';
import { encodeRgbPng } from '../../image/load.js';
import { loadBatch } from '../../data/batches.js';
import { rawOf, SCORE_KINDS, type ScoreKind } from '../../../core/score/scorer.js';
import { HEATMAP_KINDS, type Detector, type HeatmapKind, type ImageScore } from '../../../core/score/detector.js';
import { heatmapPanels } from '../../score/heatmapImage.js';
import { heatmapFigure } from '../../score/heatmapFigure.js';
import { cliTasks, withTask } from '../../taskProgress.js';

interface ScoreCliOptions {
  run: string;
  json?: boolean;
  heatmaps?: string;
  score?: ScoreKind;
  heatmap?: HeatmapKind;
  backend: string;
  quiet?: boolean;
}

/** Distinct PNG names for the heatmaps of `files` (basename, then _2, _3, ... until neither it nor its .panels.png is taken). */
export function heatmapNames(files: readonly string[]): string[] {
  const used = new Set<string>();
  return files.map((f) => {
    const base = path.basename(f, path.extname(f));
    let stem = base;
    for (let n = 2; used.has(`${stem}.png`) || used.has(`${stem}.panels.png`); n++) stem = `${base}_${n}`;
    used.add(`${stem}.png`);
    used.add(`${stem}.panels.png`);
    return `${stem}.png`;
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

/** Per file: NAME.png at the file's own resolution (heatmap over it, colour bar, the call) and NAME.panels.png (input | reconstruction | heatmap at the model's size). */
async function drawHeatmaps(
  detector: Detector,
  files: readonly string[],
  pixels: Float32Array,
  scores: readonly ImageScore[],
  o: { dir: string; kind: HeatmapKind; tick: (done: number) => void },
): Promise<{ heatmap: string; panels: string }[]> {
  await mkdir(o.dir, { recursive: true });
  const size = detector.size;
  const names = heatmapNames(files);
  const out: { heatmap: string; panels: string }[] = [];
  for (const [i, file] of files.entries()) {
    const input = pixels.subarray(i * size * size, (i + 1) * size * size);
    const s = scores[i] as ImageScore;
    const { heatmap, reconstruction } = await detector.heatmap(input, o.kind);
    const caption = { name: path.basename(file), kind: s.kind, heatmapKind: o.kind, score: s.score, threshold: s.threshold, abnormal: s.anomalous };
    const figure = path.join(o.dir, names[i] as string);
    await writeFile(figure, await heatmapFigure(await readFile(file), heatmap, size, caption));
    const p = heatmapPanels(input, reconstruction, heatmap, size);
    const panels = figure.replace(/\.png$/, '.panels.png');
    await writeFile(panels, await encodeRgbPng(p.rgb, p.width, p.height));
    out.push({ heatmap: figure, panels });
    o.tick(i + 1);
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('score')
    .description('score image files with a trained run: file, anomaly score (1 - sigmoid(z), higher = more anomalous), label')
    .argument('<files...>', 'image files, or folders (their image files, not recursive)')
    .requiredOption('--run <dir>', 'run folder made by squid train')
    .option('--heatmaps <dir>', 'write per image NAME.png (the heatmap over the image at its own resolution, a colour bar, the score and call) and NAME.panels.png (input | reconstruction | heatmap at the model\'s size)')
    .addOption(new Option('--score <kind>', "score kind (default: the run's preset's)").choices(SCORE_KINDS as string[]))
    .option('--quiet', 'no progress display on stderr')
    .addOption(new Option('--heatmap <kind>', 'heatmap kind (with --heatmaps; default: memory or position for those scores, else gradcam)').choices(HEATMAP_KINDS as string[]));
  addJsonOption(addBackendOption(cmd)).action(async (args: string[], o: ScoreCliOptions) => {
    const files = await expandFolders(args);
    await useBackend(parseBackendChoice(o.backend));
    hintWorkload('inference');
    const detector = await loadDetector(o.run, o.score ? { kind: o.score } : {});
    const kind = detector.kind;
    try {
      const progress = cliTasks(o.quiet);
      const { x: all } = await withTask(progress, `loading ${files.length} images`, files.length, (onProgress) =>
        loadBatch(files, { size: detector.size, onProgress }),
      );
      const raw = await withTask(progress, `scoring ${files.length} images`, files.length, (onProgress) => detector.rawScores(all, [kind], { onProgress }));
      const scores = detector.fromRaw(rawOf(raw, kind), kind);
      const figures = o.heatmaps
        ? await withTask(progress, `drawing ${files.length} heatmaps`, files.length, (tick) =>
            drawHeatmaps(detector, files, all, scores, { dir: o.heatmaps as string, kind: o.heatmap ?? detector.defaultHeatmap, tick }),
          )
        : [];
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
          ...(figures[i] ?? {}),
        };
      });
      printResult(o.json, rows, () => rows.map((r) => `${r.file}\t${r.score?.toFixed(6)}\t${r.label}`));
    } finally {
      detector.dispose();
    }
  });
}
