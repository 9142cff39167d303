/**
 * What a kernel's ONNX form is written from: the traced kernel, the ONNX
 * names of its inputs, and the names its outputs must get. One emitter per
 * tfjs kernel (the lists in this folder, gathered in index.ts). Tensors
 * stay in tfjs's layout (NHWC): only the ops whose ONNX form wants NCHW
 * (convolutions) transpose, around themselves.
 */
import type { TracedKernel, TracedTensor } from '../trace.js';
import { float, type OnnxGraph } from '../onnxGraph.js';

export interface KernelContext {
  g: OnnxGraph;
  kernel: TracedKernel;
  /** The ONNX name of a named input (an error if the kernel has none of that name). */
  input(name: string): string;
  has(name: string): boolean;
  /** The traced shape of a named input. */
  shape(name: string): number[];
  /** The ONNX names the kernel's outputs must have, in the kernel's order. */
  outs: string[];
  /** The traced outputs (shapes, dtypes). */
  out: TracedTensor[];
}

export type KernelEmitter = (c: KernelContext) => void;

/** The kernel's attribute, checked to be present. */
export function attr<T>(c: KernelContext, name: string): T {
  const v = c.kernel.attrs[name];
  if (v === undefined) throw new Error(`kernel ${c.kernel.kernel} has no attribute ${name}`);
  return v as T;
}

/** The single output's name. */
export function out0(c: KernelContext): string {
  return c.outs[0] as string;
}

/** Axes given as a number or a list, as a list. */
export function axesOf(v: number | number[]): number[] {
  return Array.isArray(v) ? v : [v];
}

/** An activation of tfjs's fused kernels applied to y, written to `to`. */
export function activation(c: KernelContext, y: string, to: string): void {
  const act = (c.kernel.attrs.activation as string | undefined) ?? 'linear';
  const { g } = c;
  switch (act) {
    case 'linear':
      g.op('Identity', [y], {}, to);
      return;
    case 'relu':
      g.op('Relu', [y], {}, to);
      return;
    case 'relu6':
      g.op('Clip', [y, g.constant([0], [], 'float32'), g.constant([6], [], 'float32')], {}, to);
      return;
    case 'sigmoid':
      g.op('Sigmoid', [y], {}, to);
      return;
    case 'elu':
      g.op('Elu', [y], {}, to);
      return;
    case 'leakyrelu':
      g.op('LeakyRelu', [y], { alpha: float((c.kernel.attrs.leakyreluAlpha as number | undefined) ?? 0.2) }, to);
      return;
    case 'prelu':
      g.op('PRelu', [y, c.input('preluActivationWeights')], {}, to);
      return;
    default:
      throw new Error(`kernel ${c.kernel.kernel}: activation ${act} has no ONNX form`);
  }
}
