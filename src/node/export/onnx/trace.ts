/**
 * Records the tfjs kernels a function runs, as a graph from its inputs to
 * its outputs: what the ONNX export translates (toOnnx.ts). It runs on a
 * backend of its own: the active backend's kernels (native or tfjs-cpu)
 * without squid-ts's custom ones (src/core/ops/registry.ts), so every
 * custom op takes its tfjs-ops form (each op's op.ts), which standard
 * operators can express. A tensor made on a traced tensor's buffer through
 * no kernel (stopGradient) is the same value (an Identity). A kernel whose
 * inputs are all constants (weights, folded batch norm, ranges) is not
 * recorded: its result is a constant. Shapes are those of the traced call
 * (a fixed batch). Node only (the export).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CPU_KERNELS } from '../../../core/ops/registry.js';
import { silenceNodeBanner } from '../../backend/select.js';

/** The trace backend's name: the active backend's, prefixed. */
export const TRACE_BACKEND_PREFIX = 'squid-onnx-trace-';

/** A tensor of the traced graph. */
export interface TracedTensor {
  id: number;
  shape: number[];
  dtype: tf.DataType;
}

export interface TracedKernel {
  kernel: string;
  /** The kernel's named inputs (absent optional inputs left out). */
  inputs: Record<string, TracedTensor>;
  attrs: Record<string, unknown>;
  outputs: TracedTensor[];
}

export interface Constant extends TracedTensor {
  values: tf.TypedArray;
}

export interface Trace {
  inputs: Record<string, TracedTensor>;
  kernels: TracedKernel[];
  /** Tensors the kernels read that no recorded kernel made, by id. */
  constants: Map<number, Constant>;
  outputs: Record<string, TracedTensor>;
}

const ref = (t: tf.Tensor): TracedTensor => ({ id: t.id, shape: [...t.shape], dtype: t.dtype });

/** Registers the trace backend of `base` once: its kernels without the custom ones. */
function traceBackendOf(base: string): string {
  const name = TRACE_BACKEND_PREFIX + base;
  if (tf.findBackendFactory(name)) return name;
  const factory = tf.findBackendFactory(base);
  if (!factory) throw new Error(`no tfjs backend "${base}" to trace on`);
  tf.registerBackend(name, factory, 0);
  const custom = new Set(CPU_KERNELS.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend(base)) if (!custom.has(k.kernelName)) tf.registerKernel({ ...k, backendName: name });
  return name;
}

/** Runs fn with the trace backend of the active backend (models made inside live on it), then restores the backend. */
export async function onTraceBackend<T>(fn: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  const name = traceBackendOf(previous);
  await tf.setBackend(name);
  silenceNodeBanner(name);
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/** The state of one trace: which tensors depend on the inputs, and what was read. */
class Recorder {
  readonly dynamic = new Set<number>();
  /** A dynamic tensor per data buffer: a tensor made on the same buffer through no kernel (stopGradient) is the same value. */
  private readonly byData = new Map<object, TracedTensor>();
  readonly kernels: TracedKernel[] = [];
  readonly constants = new Map<number, Constant>();
  private readonly constByData = new Map<object, TracedTensor>();
  /** Constants recorded as views (Reshape, Identity) of another's buffer. */
  private readonly views = new Set<number>();

  markDynamic(t: tf.Tensor): void {
    this.dynamic.add(t.id);
    this.byData.set(t.dataId, ref(t));
  }

  /** A tensor as a kernel input: dynamic, an alias of a dynamic buffer (recorded as Identity or Reshape), or a constant. */
  use(t: tf.Tensor): TracedTensor {
    if (this.dynamic.has(t.id)) return ref(t);
    const source = this.byData.get(t.dataId);
    if (source) {
      this.markDynamic(t);
      return this.view(source, t);
    }
    return this.constant(t);
  }

  /** A constant, read once per data buffer: a reshaped view of one already read is recorded as a Reshape of it (the file holds each buffer once). */
  private constant(t: tf.Tensor): TracedTensor {
    if (this.constants.has(t.id) || this.views.has(t.id)) return ref(t);
    const first = this.constByData.get(t.dataId);
    if (first) {
      this.views.add(t.id);
      return this.view(first, t);
    }
    this.constants.set(t.id, { ...ref(t), values: t.dataSync() as tf.TypedArray });
    this.constByData.set(t.dataId, ref(t));
    return ref(t);
  }

  /** t as a view of source's buffer: an Identity, or a Reshape when the shapes differ. */
  private view(source: TracedTensor, t: tf.Tensor): TracedTensor {
    const same = tf.util.arraysEqual(source.shape, t.shape);
    this.kernels.push({ kernel: same ? 'Identity' : 'Reshape', inputs: { x: source }, attrs: same ? {} : { shape: [...t.shape] }, outputs: [ref(t)] });
    return ref(t);
  }

  record(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap | undefined, out: tf.Tensor | tf.Tensor[]): void {
    const outs = Array.isArray(out) ? out : [out];
    const given = Object.entries(inputs).filter((e): e is [string, tf.Tensor] => e[1] instanceof tf.Tensor);
    if (!given.some(([, t]) => this.dynamic.has(t.id) || this.byData.has(t.dataId))) return; // a constant result: read when used
    const named: Record<string, TracedTensor> = {};
    for (const [name, t] of given) named[name] = this.use(t);
    for (const t of outs) this.markDynamic(t);
    this.kernels.push({ kernel, inputs: named, attrs: { ...(attrs ?? {}) }, outputs: outs.map(ref) });
  }
}

/**
 * Runs fn on the named inputs and records its kernels. fn must compute its
 * outputs from the inputs with tfjs ops only (no values read back into
 * JavaScript on the way); the caller disposes the inputs.
 */
export function traceKernels(inputs: Record<string, tf.Tensor>, fn: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor>): Trace {
  if (!tf.getBackend().startsWith(TRACE_BACKEND_PREFIX)) throw new Error('traceKernels runs on a trace backend (onTraceBackend)');
  const rec = new Recorder();
  for (const t of Object.values(inputs)) rec.markDynamic(t);
  const engine = tf.engine();
  const runKernel = engine.runKernel;
  engine.runKernel = function (this: typeof engine, kernel: string, ins: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) {
    const out = runKernel.call(this, kernel, ins, attrs);
    rec.record(kernel, ins, attrs, out as tf.Tensor | tf.Tensor[]);
    return out;
  } as typeof engine.runKernel;
  try {
    let trace: Trace | undefined;
    tf.tidy(() => {
      const outs = fn(inputs);
      const outputs: Record<string, TracedTensor> = {};
      for (const [name, t] of Object.entries(outs)) outputs[name] = rec.use(t);
      trace = { inputs: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, ref(t)])), kernels: rec.kernels, constants: rec.constants, outputs };
    });
    return trace as Trace;
  } finally {
    engine.runKernel = runKernel;
  }
}
