/**
 * Sum, Mean, Max, Min, Prod over any axes whose reduced dims form one block
 * (after dropping size-1 dims), e.g. NHWC moments over [0,1,2] or [1,2],
 * layer norm over the last axis; no transpose. Other patterns fall back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { REDUCE_OPS, type NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { need, type NativeKernel } from './types.js';

function reduceKernel(addon: NativeAddon, kernelName: string, op: number, axisAttr: string): NativeKernel {
  return {
    kernelName,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x) || size(x.shape) === 0) return null;
      const attrs = (args.attrs ?? {}) as Record<string, unknown>;
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape).sort((a, b) => a - b);
      const keepDims = attrs.keepDims === true;
      const be = args.backend as MathBackendCPU;
      const outShape = keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      const out = alloc(size(outShape));
      if (!addon.reduce(op, f32(be, x), x.shape, axes, out)) return null;
      return output(be, outShape, out);
    },
  };
}

export function reduceKernels(addon: NativeAddon): NativeKernel[] {
  return [
    reduceKernel(addon, tf.Sum, REDUCE_OPS.sum, 'axis'),
    reduceKernel(addon, tf.Mean, REDUCE_OPS.mean, 'axis'),
    reduceKernel(addon, tf.Max, REDUCE_OPS.max, 'reductionIndices'),
    reduceKernel(addon, tf.Min, REDUCE_OPS.min, 'axis'),
    reduceKernel(addon, tf.Prod, REDUCE_OPS.prod, 'axis'),
  ];
}
