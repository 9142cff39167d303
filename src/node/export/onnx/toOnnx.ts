/**
 * A traced kernel graph (trace.ts) as an ONNX model: each kernel through its
 * emitter (kernels/), each constant it read as an initializer, the traced
 * inputs and outputs under their names. Node only (the export).
 */
import { OnnxGraph, onnxDtype, type GraphValue } from './onnxGraph.js';
import { ONNX_KERNELS } from './kernels/index.js';
import type { Trace, TracedTensor } from './trace.js';
import { SquidError } from '../../../core/util/errors.js';

export interface OnnxModelInfo {
  name: string;
  producerVersion: string;
  doc: string;
  metadata: Record<string, string>;
}

/** Kernels of the trace with no ONNX form, by name (empty: the trace can be exported). */
export function missingKernels(trace: Trace): string[] {
  return [...new Set(trace.kernels.map((k) => k.kernel).filter((k) => !ONNX_KERNELS[k]))].sort();
}

export function toOnnx(trace: Trace, info: OnnxModelInfo): Uint8Array {
  const missing = missingKernels(trace);
  if (missing.length) throw new SquidError(`the ONNX export has no form for the tfjs kernel(s) ${missing.join(', ')} (src/node/export/onnx/kernels/)`);
  const g = new OnnxGraph();
  const names = new Map<number, string>();
  for (const [name, t] of Object.entries(trace.inputs)) names.set(t.id, name);
  const nameOf = (t: TracedTensor): string => {
    const known = names.get(t.id);
    if (known) return known;
    const c = trace.constants.get(t.id);
    if (!c) throw new Error(`tensor ${t.id} [${t.shape}] is neither an input, a constant nor made by a traced kernel`);
    const name = g.constant(c.values, c.shape, onnxDtype(c.dtype));
    names.set(t.id, name);
    return name;
  };
  for (const k of trace.kernels) {
    const outs = k.outputs.map((o) => {
      const name = g.fresh('t');
      names.set(o.id, name);
      return name;
    });
    const get = (name: string): TracedTensor => {
      const t = k.inputs[name];
      if (!t) throw new Error(`kernel ${k.kernel} has no input ${name}`);
      return t;
    };
    (ONNX_KERNELS[k.kernel] as (typeof ONNX_KERNELS)[string])({ g, kernel: k, input: (n) => nameOf(get(n)), has: (n) => n in k.inputs, shape: (n) => get(n).shape, outs, out: k.outputs });
  }
  const value = (name: string, t: TracedTensor): GraphValue => ({ name, dtype: onnxDtype(t.dtype), shape: t.shape });
  for (const [name, t] of Object.entries(trace.outputs)) g.op('Identity', [nameOf(t)], {}, name);
  return g.encode({
    ...info,
    inputs: Object.entries(trace.inputs).map(([n, t]) => value(n, t)),
    outputs: Object.entries(trace.outputs).map(([n, t]) => value(n, t)),
  });
}
