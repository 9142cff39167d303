/**
 * The page: open an exported SQUID model from local files, score radiographs
 * in this tab, show input / reconstruction / heatmap overlay, export CSV.
 * Nothing is uploaded: files are read with the File API and all computation
 * runs on the tfjs backend chosen by backend.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Detector, loadExport, type LoadedExport, createSquid, SCORE_KIND_LABELS } from '../../src/core/index.js';
import { initBackend } from './backend.js';
import { toCsv, type CsvValue } from './csv.js';
import { decodeImageFile } from './decode.js';
import { fileReader, isModelFile } from './modelFiles.js';
import { drawGrey, makeCanvas } from './render.js';

interface Result {
  file: string;
  width: number;
  height: number;
  score: number | null;
  abnormal: boolean | null;
  /** The primary score kind's raw value. */
  raw: number | null;
  discriminatorRaw: number | null;
  residualRaw: number | null;
  residualAnomaly: number | null;
  scoreMs: number | null;
  heatmapMs: number | null;
  error: string | null;
  input?: Float32Array;
  heatmap?: Float32Array;
  overlay?: HTMLCanvasElement;
}

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page element #${id} missing`);
  return e as T;
}

const modelInput = el<HTMLInputElement>('model-files');
const folderInput = el<HTMLInputElement>('model-folder');
const imageInput = el<HTMLInputElement>('image-files');
const imagesLabel = el<HTMLLabelElement>('images-label');
const modelStatus = el<HTMLParagraphElement>('model-status');
const imagesStatus = el<HTMLParagraphElement>('images-status');
const csvButton = el<HTMLButtonElement>('csv');
const clearButton = el<HTMLButtonElement>('clear');
const opacity = el<HTMLInputElement>('opacity');
const opacityValue = el<HTMLOutputElement>('opacity-value');
const tbody = el<HTMLTableElement>('results').tBodies[0] as HTMLTableSectionElement;
const backendLabel = el<HTMLSpanElement>('backend');
const dropHint = el<HTMLDivElement>('drop-hint');

let backendName = '';
/** The loaded export and its one Detector (the model compiled for inference while it is loaded). */
let loaded: (LoadedExport & { detector: Detector }) | null = null;
const results: Result[] = [];
let queue: Promise<void> = Promise.resolve();

/** The primary score's threshold and its policy (null when the export stores none). */
function thresholdOf(info: LoadedExport['info']): { value: number; policy: string } | null {
  const s = info.scoring[info.primaryScore];
  return s && Number.isFinite(s.threshold) ? { value: s.threshold, policy: s.policy } : null;
}

function setStatus(p: HTMLElement, text: string, state = ''): void {
  p.textContent = text;
  p.dataset.state = state;
}

function fmt(v: number | null, digits = 4): string {
  return v === null ? '' : v.toFixed(digits);
}

function currentOpacity(): number {
  return Number(opacity.value) / 100;
}

async function openModel(files: File[]): Promise<void> {
  const modelFiles = files.filter((f) => isModelFile(f.name));
  if (modelFiles.length === 0) {
    setStatus(modelStatus, 'No model files among those chosen (expected squid.json, model.json and its .bin weight files).', 'error');
    return;
  }
  setStatus(modelStatus, 'Loading the model…', 'loading');
  try {
    const next = await loadExport(fileReader(modelFiles), (preset) => createSquid(preset, { seed: 0 }));
    loaded?.detector.dispose();
    loaded = { ...next, detector: Detector.fromExport(next.model, next.info) };
    const i = next.info;
    const t = thresholdOf(i);
    const th = t ? `threshold ${t.value.toFixed(4)} (${t.policy})` : 'no threshold stored';
    setStatus(
      modelStatus,
      `Model ready: preset ${i.preset.name}, input ${i.inputSize}×${i.inputSize}, trained on ${i.training.data} ` +
        `(${i.scoring.date.slice(0, 10)}), score: ${i.primaryScore} (${SCORE_KIND_LABELS[i.primaryScore]}), ${th}.`,
      'ready',
    );
    modelStatus.dataset.preset = i.preset.name;
    imageInput.disabled = false;
    imagesLabel.classList.remove('disabled');
  } catch (err) {
    setStatus(modelStatus, `Could not open the model: ${err instanceof Error ? err.message : String(err)}`, 'error');
  }
}

/** Appends the result's row; returns its input, reconstruction and overlay canvases (none for errors). */
function addRow(r: Result): HTMLCanvasElement[] {
  const tr = document.createElement('tr');
  tr.className = 'result';
  tr.dataset.file = r.file;
  const name = document.createElement('td');
  name.className = 'name';
  name.textContent = r.file;
  const small = document.createElement('div');
  small.className = 'small';
  small.textContent = r.error ? '' : `${r.width}×${r.height} px, ${fmt(r.scoreMs, 0)} ms`;
  name.append(small);
  tr.append(name);
  if (r.error || !loaded || !r.input) {
    const td = document.createElement('td');
    td.colSpan = 5;
    td.className = 'error';
    td.textContent = r.error ?? 'not scored';
    tr.append(td);
    tbody.append(tr);
    return [];
  }
  const score = document.createElement('td');
  score.className = 'score';
  score.dataset.score = String(r.score);
  score.dataset.residual = String(r.residualAnomaly);
  score.dataset.raw = String(r.raw);
  score.dataset.residualRaw = String(r.residualRaw);
  score.dataset.ms = String(r.scoreMs);
  score.dataset.heatmapMs = String(r.heatmapMs);
  score.textContent = fmt(r.score);
  const call = document.createElement('td');
  call.className = 'call';
  call.dataset.abnormal = String(r.abnormal);
  call.textContent = r.abnormal === null ? '—' : r.abnormal ? 'abnormal' : 'normal';
  tr.append(score, call);
  const size = loaded.info.inputSize;
  const cells: [string, HTMLCanvasElement][] = [
    ['input', makeCanvas(size, `input ${r.file}`)],
    ['reconstruction', makeCanvas(size, `reconstruction ${r.file}`)],
    ['overlay', makeCanvas(size, `heatmap overlay ${r.file}`)],
  ];
  for (const [kind, c] of cells) {
    const td = document.createElement('td');
    td.className = kind;
    td.append(c);
    tr.append(td);
  }
  tbody.append(tr);
  return cells.map(([, c]) => c);
}

async function scoreFile(file: File): Promise<void> {
  const model = loaded;
  if (!model) return;
  const r: Result = {
    file: file.name,
    width: 0,
    height: 0,
    score: null,
    abnormal: null,
    raw: null,
    discriminatorRaw: null,
    residualRaw: null,
    residualAnomaly: null,
    scoreMs: null,
    heatmapMs: null,
    error: null,
  };
  try {
    const img = await decodeImageFile(file, model.info.inputSize);
    r.width = img.width;
    r.height = img.height;
    const out = await model.detector.inspect(img.pixels);
    r.score = out.score;
    r.abnormal = out.abnormal;
    r.raw = out.scores[model.info.primaryScore]?.raw ?? null;
    r.discriminatorRaw = out.scores.discriminator?.raw ?? null;
    r.residualRaw = out.scores.residual?.raw ?? null;
    r.residualAnomaly = out.scores.residual?.anomaly ?? null;
    r.scoreMs = out.scoreMs;
    r.heatmapMs = out.heatmapMs;
    r.input = out.input;
    r.heatmap = out.heatmap;
    results.push(r);
    const [inputC, reconC, overlayC] = addRow(r);
    if (inputC && reconC && overlayC) {
      drawGrey(inputC, out.input);
      drawGrey(reconC, out.reconstruction);
      drawGrey(overlayC, out.input, out.heatmap, currentOpacity());
      r.overlay = overlayC;
    }
  } catch (err) {
    r.error = `${err instanceof Error ? err.message : String(err)}`;
    results.push(r);
    addRow(r);
  }
}

function addImages(files: File[]): void {
  if (!loaded) {
    setStatus(imagesStatus, 'Open a model first.', 'error');
    return;
  }
  const images = files.filter((f) => /\.(png|jpe?g)$/i.test(f.name) || /^image\/(png|jpeg)$/.test(f.type));
  const skipped = files.length - images.length;
  queue = queue.then(async () => {
    imagesStatus.dataset.busy = 'true';
    for (let i = 0; i < images.length; i++) {
      setStatus(imagesStatus, `Scoring ${i + 1} of ${images.length}…`, 'loading');
      await scoreFile(images[i] as File);
      await tf.nextFrame();
    }
    const done = results.filter((r) => !r.error).length;
    setStatus(
      imagesStatus,
      `${done} image(s) scored on this device` +
        (skipped ? `; ${skipped} file(s) skipped (not PNG/JPEG)` : '') +
        (results.length > done ? `; ${results.length - done} failed` : '') +
        '.',
      'ready',
    );
    imagesStatus.dataset.tensors = String(tf.memory().numTensors); // leak check for tests
    imagesStatus.dataset.busy = 'false';
    imagesStatus.dataset.count = String(results.length);
    csvButton.disabled = results.length === 0;
    clearButton.disabled = results.length === 0;
  });
}

function downloadCsv(): void {
  if (!loaded) return;
  const i = loaded.info;
  const header = [
    'file',
    'width',
    'height',
    'anomaly_score',
    'call',
    'threshold',
    'threshold_policy',
    'score_kind',
    'score_raw',
    'discriminator_raw',
    'residual_raw',
    'residual_anomaly',
    'preset',
    'backend',
    'inference_ms',
    'error',
  ];
  const rows: CsvValue[][] = results.map((r) => [
    r.file,
    r.width,
    r.height,
    r.score,
    r.abnormal === null ? '' : r.abnormal ? 'abnormal' : 'normal',
    thresholdOf(i)?.value ?? null,
    thresholdOf(i)?.policy ?? null,
    i.primaryScore,
    r.raw,
    r.discriminatorRaw,
    r.residualRaw,
    r.residualAnomaly,
    i.preset.name,
    backendName,
    r.scoreMs === null ? null : Math.round(r.scoreMs * 10) / 10,
    r.error,
  ]);
  // A blob: URL made here and clicked here: a local download, not a network request.
  const url = URL.createObjectURL(new Blob([toCsv(header, rows)], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'squid-scores.csv';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function redrawOverlays(): void {
  opacityValue.textContent = `${opacity.value}%`;
  for (const r of results) if (r.overlay && r.input && r.heatmap) drawGrey(r.overlay, r.input, r.heatmap, currentOpacity());
}

function wire(): void {
  modelInput.addEventListener('change', () => void openModel(Array.from(modelInput.files ?? [])));
  folderInput.addEventListener('change', () => void openModel(Array.from(folderInput.files ?? [])));
  imageInput.addEventListener('change', () => {
    addImages(Array.from(imageInput.files ?? []));
    imageInput.value = '';
  });
  opacity.addEventListener('input', redrawOverlays);
  csvButton.addEventListener('click', downloadCsv);
  clearButton.addEventListener('click', () => {
    results.length = 0;
    tbody.replaceChildren();
    csvButton.disabled = true;
    clearButton.disabled = true;
    setStatus(imagesStatus, '');
  });
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    dropHint.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropHint.hidden = true;
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    dropHint.hidden = true;
    const files = Array.from(e.dataTransfer?.files ?? []);
    const models = files.filter((f) => isModelFile(f.name));
    const rest = files.filter((f) => !isModelFile(f.name));
    queue = queue.then(async () => {
      if (models.length) await openModel(models);
      if (rest.length) addImages(rest);
    });
  });
}

async function start(): Promise<void> {
  wire();
  imagesLabel.classList.add('disabled');
  try {
    const forced = new URLSearchParams(location.search).get('backend');
    const b = await initBackend(forced);
    backendName = b.name;
    backendLabel.textContent =
      `Compute backend: ${b.name}` + (b.skipped.length ? ` (skipped ${b.skipped.join('; ')})` : '') + '. Ready.';
    backendLabel.dataset.backend = b.name;
    document.body.dataset.ready = 'true';
  } catch (err) {
    backendLabel.textContent = `No compute backend: ${err instanceof Error ? err.message : String(err)}`;
    document.body.dataset.ready = 'error';
  }
}

void start();
