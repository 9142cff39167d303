/**
 * `squid export --format onnx`: a run's scoring pass as one ONNX model,
 * for onnxruntime and the deployment tools that read ONNX.
 *
 * The graph is traced (trace.ts) from the same code `squid score` runs:
 * the model compiled for inference, the raw scores of the run's score kind
 * (rawScoreTensor) and their standardization with the run's statistics
 * (anomalyScoreTensor), with the discriminator's per-image batch norm.
 * Custom ops take their tfjs-ops forms: the sparse memory read becomes
 * Gather + MatMul, top-k shrinkage TopK + element-wise ops.
 *
 *   input  image          [B,S,S,1] float32, grey in [0, 1] at the model's size
 *   output score          [B] anomaly score in (0, 1), higher = more anomalous
 *          raw            [B] the score kind's raw normality
 *          abnormal       [B] bool, score >= the run's threshold (when it has one)
 *          reconstruction [B,S,S,1]
 *
 * B is fixed when exporting (default 1). Node only.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { disposeState } from '../../../core/io/modelState.js';
import type { ModelFactory } from '../../../core/export/loadExport.js';
import type { SquidModel } from '../../../core/model/types.js';
import type { ScoringJson } from '../../../core/score/stats.js';
import { anomalyScoreTensor, rawScoreTensor } from '../../../core/score/scorer.js';
import { measuredKinds, presetScore, type MeasuredScoreKind, type ScoreKind } from '../../../core/squid/presets.js';
import { withInference } from '../../../core/tactics/compile.js';
import { readRun, restoreModel } from '../exportRun.js';
import { writeFileAtomic } from '../../io/atomicFiles.js';
import { onTraceBackend, traceKernels, type Trace } from './trace.js';
import { toOnnx } from './toOnnx.js';
import { OPSET } from './onnxGraph.js';
import { SquidError } from '../../../core/util/errors.js';

export const ONNX_FILE = 'model.onnx';

export interface OnnxExportOptions {
  /** Images per call, fixed in the graph (default 1). */
  batch?: number;
  /** squid-ts's version, recorded in the file. */
  version?: string;
}

export interface OnnxExportInfo {
  file: string;
  bytes: number;
  preset: string;
  inputSize: number;
  batch: number;
  score: ScoreKind;
  threshold: number | null;
  opset: number;
  /** The tfjs kernels traced (each written through its ONNX form), with how often each ran. */
  kernels: Record<string, number>;
}

/** The run's threshold of `kind`, or null when it stored none. */
function storedThreshold(scoring: ScoringJson, kind: ScoreKind): number | null {
  const t = scoring[kind]?.threshold;
  return t !== undefined && Number.isFinite(t) ? t : null;
}

/** The outputs of one scoring pass over x, as tensors (what the ONNX graph computes). */
export function scoringGraph(model: SquidModel, x: tf.Tensor4D, kind: ScoreKind, scoring: ScoringJson): Record<string, tf.Tensor> {
  const parts = measuredKinds([kind]);
  const { recon, gap } = parts.includes('distillation') ? model.reconstructWithGap(x) : { recon: model.reconstruct(x), gap: undefined };
  const raw: Partial<Record<MeasuredScoreKind, tf.Tensor1D>> = {};
  for (const k of parts) raw[k] = rawScoreTensor(model, k, { x, recon, gap }, 'per-image');
  const s = anomalyScoreTensor(raw, kind, scoring);
  const threshold = storedThreshold(scoring, kind);
  const out: Record<string, tf.Tensor> = { score: s.score, raw: s.raw };
  if (threshold !== null) out.abnormal = tf.greaterEqual(s.score, threshold);
  out.reconstruction = recon;
  return out;
}

/** Traces the scoring pass of `model` at batch B on a random image (on the trace backend, where the model must live). */
export async function traceScoring(model: SquidModel, kind: ScoreKind, scoring: ScoringJson, batch: number, seed = 1): Promise<Trace> {
  const S = model.preset.model.imageSize;
  const image = tf.randomUniform([batch, S, S, 1], 0, 1, 'float32', seed);
  try {
    return await withInference(model, () => traceKernels({ image }, (i) => scoringGraph(model, i.image as tf.Tensor4D, kind, scoring)));
  } finally {
    image.dispose();
  }
}

/**
 * Whether two traces of one pass on different images are the same graph:
 * the same kernels and the same constants. A pass that read a value back
 * into JavaScript and computed on with it would have baked that value into
 * a constant; its graph would not follow the image.
 */
export function sameGraph(a: Trace, b: Trace): boolean {
  if (a.kernels.length !== b.kernels.length || a.constants.size !== b.constants.size) return false;
  if (a.kernels.some((k, i) => k.kernel !== b.kernels[i]?.kernel)) return false;
  const bs = [...b.constants.values()];
  return [...a.constants.values()].every((c, i) => {
    const d = bs[i];
    return d !== undefined && tf.util.arraysEqual(c.shape, d.shape) && c.values.length === d.values.length && c.values.every((v, j) => Object.is(v, d.values[j]));
  });
}

export async function exportOnnx(run: string, out: string, create: ModelFactory, opts: OnnxExportOptions = {}): Promise<OnnxExportInfo> {
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new SquidError(`--batch must be a whole number of images, at least 1; got ${batch}`);
  return onTraceBackend(async () => {
    const r = await readRun(run);
    let model: SquidModel;
    try {
      model = restoreModel(run, r, create);
    } finally {
      disposeState(r.state);
    }
    const kind = presetScore(r.json.preset);
    const threshold = storedThreshold(r.scoring, kind);
    let trace: Trace;
    try {
      trace = await traceScoring(model, kind, r.scoring, batch, 1);
      if (!sameGraph(trace, await traceScoring(model, kind, r.scoring, batch, 2))) {
        throw new SquidError(`the ${kind} scoring pass of ${r.json.preset.name} reads values back while it runs, so its ONNX graph would not follow the image: not exported`);
      }
    } finally {
      model.dispose();
    }
    const bytes = toOnnx(trace, {
      name: `squid-${r.json.preset.name}`,
      producerVersion: opts.version ?? '',
      doc: `SQUID anomaly detector (${r.json.preset.name}), trained on ${r.config.data}; input: grey images in [0, 1] at ${r.json.preset.model.imageSize} px`,
      metadata: {
        'squid.preset': r.json.preset.name,
        'squid.score': kind,
        'squid.threshold': threshold === null ? '' : String(threshold),
        'squid.threshold_policy': r.scoring[kind]?.policy ?? '',
        'squid.input_size': String(r.json.preset.model.imageSize),
        'squid.training_data': r.config.data,
      },
    });
    const file = join(out, ONNX_FILE);
    await writeFileAtomic(file, bytes);
    const kernels: Record<string, number> = {};
    for (const k of trace.kernels) kernels[k.kernel] = (kernels[k.kernel] ?? 0) + 1;
    return { file, bytes: bytes.byteLength, preset: r.json.preset.name, inputSize: r.json.preset.model.imageSize, batch, score: kind, threshold, opset: OPSET, kernels };
  });
}
