/** Kernels that move, pick or make values: reshapes, slices, gathers, top-k, one-hot. */
import { attr, out0, type KernelEmitter } from './context.js';
import { dataTypeOf, onnxDtype } from '../onnxGraph.js';
import type * as tf from '@tensorflow/tfjs-core';

const rankAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export const SHAPE_KERNELS: Record<string, KernelEmitter> = {
  // the traced output's shape: any -1 of the call already resolved
  Reshape: (c) => void c.g.op('Reshape', [c.input('x'), c.g.int64s(c.out[0]?.shape ?? [])], {}, out0(c)),
  Transpose: (c) => void c.g.op('Transpose', [c.input('x')], { perm: attr<number[]>(c, 'perm') }, out0(c)),
  Concat: (c) => {
    const names = Object.keys(c.kernel.inputs);
    const rank = c.shape(names[0] as string).length;
    c.g.op('Concat', names.map((k) => c.input(k)), { axis: rankAxis(attr<number>(c, 'axis'), rank) }, out0(c));
  },
  Slice: (c) => {
    const begin = attr<number[]>(c, 'begin');
    const size = c.out[0]?.shape ?? []; // -1 sizes resolved
    const axes = begin.map((_, i) => i);
    c.g.op('Slice', [c.input('x'), c.g.int64s(begin), c.g.int64s(begin.map((b, i) => b + (size[i] as number))), c.g.int64s(axes)], {}, out0(c));
  },
  GatherV2: (c) => {
    if (((c.kernel.attrs.batchDims as number | undefined) ?? 0) !== 0) throw new Error('GatherV2 with batchDims has no ONNX form in this export');
    c.g.op('Gather', [c.input('x'), c.input('indices')], { axis: rankAxis(attr<number>(c, 'axis'), c.shape('x').length) }, out0(c));
  },
  Tile: (c) => void c.g.op('Tile', [c.input('x'), c.g.int64s(attr<number[]>(c, 'reps'))], {}, out0(c)),
  PadV2: (c) => {
    const p = attr<[number, number][]>(c, 'paddings');
    const pads = [...p.map((q) => q[0]), ...p.map((q) => q[1])];
    c.g.op('Pad', [c.input('x'), c.g.int64s(pads), c.g.constant([attr<number>(c, 'constantValue')], [], onnxDtype(c.out[0]?.dtype ?? 'float32'))], { mode: 'constant' }, out0(c));
  },
  Pack: (c) => {
    const names = Object.keys(c.kernel.inputs);
    const axis = rankAxis(attr<number>(c, 'axis'), c.shape(names[0] as string).length + 1);
    const parts = names.map((k) => c.g.op('Unsqueeze', [c.input(k), c.g.int64s([axis])]));
    c.g.op('Concat', parts, { axis }, out0(c));
  },
  Unpack: (c) => {
    const axis = rankAxis(attr<number>(c, 'axis'), c.shape('value').length);
    const parts = c.g.node('Split', [c.input('value')], { axis }, c.outs.map(() => c.g.fresh('split')));
    parts.forEach((p, i) => c.g.op('Squeeze', [p, c.g.int64s([axis])], {}, c.outs[i]));
  },
  // ONNX TopK: the largest first, ties to the lower index (as tfjs), int64 indices
  TopK: (c) => {
    const indices = c.g.fresh('topk_i');
    c.g.node('TopK', [c.input('x'), c.g.int64s([attr<number>(c, 'k')])], { axis: -1, largest: 1, sorted: 1 }, [c.outs[0] as string, indices]);
    c.g.op('Cast', [indices], { to: dataTypeOf('int32') }, c.outs[1]);
  },
  OneHot: (c) => {
    const dtype = onnxDtype(attr<tf.DataType>(c, 'dtype'));
    const values = c.g.constant([attr<number>(c, 'offValue'), attr<number>(c, 'onValue')], [2], dtype);
    // int64 indices and depth: the type pairing onnxruntime implements for every value type
    const indices = c.g.op('Cast', [c.input('indices')], { to: dataTypeOf('int64') });
    c.g.op('OneHot', [indices, c.g.int64s([attr<number>(c, 'depth')]), values], { axis: -1 }, out0(c));
  },
};
