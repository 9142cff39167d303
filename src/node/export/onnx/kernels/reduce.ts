/** Reductions, arg-max/min and softmax. opset 17: ReduceSum takes its axes as an input, the others as an attribute. */
import { attr, axesOf, out0, type KernelContext, type KernelEmitter } from './context.js';
import { dataTypeOf } from '../onnxGraph.js';

/** The reduced axes (tfjs: a number, a list, or null for all). */
function reducedAxes(c: KernelContext, name: string): number[] {
  const v = c.kernel.attrs[name] as number | number[] | null | undefined;
  return v === null || v === undefined ? c.shape('x').map((_, i) => i) : axesOf(v);
}

const reduce =
  (op: string, axesAttr = 'axis'): KernelEmitter =>
  (c) => {
    const axes = reducedAxes(c, axesAttr);
    const keepdims = c.kernel.attrs.keepDims ? 1 : 0;
    if (op === 'ReduceSum') c.g.op(op, [c.input('x'), c.g.int64s(axes)], { keepdims }, out0(c));
    else c.g.op(op, [c.input('x')], { axes, keepdims }, out0(c));
  };

/** ArgMax/ArgMin give int64 in ONNX, int32 in tfjs. */
const arg =
  (op: string): KernelEmitter =>
  (c) => {
    const i = c.g.op(op, [c.input('x')], { axis: axesOf(attr<number | number[]>(c, 'axis'))[0] as number, keepdims: 0 });
    c.g.op('Cast', [i], { to: dataTypeOf('int32') }, out0(c));
  };

export const REDUCE_KERNELS: Record<string, KernelEmitter> = {
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax', 'reductionIndices'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  ArgMax: arg('ArgMax'),
  ArgMin: arg('ArgMin'),
  Softmax: (c) => void c.g.op('Softmax', [c.input('logits')], { axis: attr<number>(c, 'dim') }, out0(c)),
};
