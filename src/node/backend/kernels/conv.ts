/**
 * Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and FusedConv2D on the
 * native backend (oneDNN). NHWC only; anything else (NCHW, prelu, exotic
 * bias shapes, non-float32) returns null and runs the tfjs-cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ACTIVATION_CODES, type ConvParams, type NativeAddon, type Shape4 } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { constantId, evictIfKept, isEvicted } from '../native/constantFilters.js';
import { maybe, need, type NativeKernel } from './types.js';

type Pad = tf.Conv2DAttrs['pad'];

export function convInfo(
  xShape: number[], wShape: number[], strides: number | [number, number], dilations: number | [number, number],
  pad: Pad, rounding: 'floor' | 'round' | 'ceil' | undefined,
): { info: tf.backend_util.Conv2DInfo; params: ConvParams } | null {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as Shape4, wShape as Shape4, strides, dilations, pad, rounding, false, 'channelsLast',
  );
  const p = info.padInfo;
  const params: ConvParams = [
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, p.top, p.bottom, p.left, p.right,
  ];
  // oneDNN computes output sizes with floor division: fall back when tfjs rounded otherwise.
  const eh = (info.filterHeight - 1) * info.dilationHeight + 1;
  const ew = (info.filterWidth - 1) * info.dilationWidth + 1;
  const oh = Math.floor((info.inHeight + p.top + p.bottom - eh) / info.strideHeight) + 1;
  const ow = Math.floor((info.inWidth + p.left + p.right - ew) / info.strideWidth) + 1;
  if (oh !== info.outHeight || ow !== info.outWidth || p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) return null;
  if (info.outHeight < 1 || info.outWidth < 1) return null;
  return { info, params };
}

const EMPTY = new Float32Array(0);

/** A forward convolution's filter array: empty when the filter was evicted (the addon holds it; constantFilters.ts). */
export function filterValues(be: MathBackendCPU, filter: tf.TensorInfo): Float32Array {
  return isEvicted(filter.dataId) ? EMPTY : f32(be, filter);
}

export function convKernels(addon: NativeAddon): NativeKernel[] {
  const conv2d: NativeKernel = {
    kernelName: tf.Conv2D,
    run(args) {
      const { backend, attrs } = args;
      const x = need(args, 'x');
      const filter = need(args, 'filter');
      const a = attrs as unknown as tf.Conv2DAttrs;
      if (a.dataFormat === 'NCHW' || !isF32(x) || !isF32(filter)) return null;
      const c = convInfo(x.shape, filter.shape, a.strides, a.dilations, a.pad, a.dimRoundingMode);
      if (!c) return null;
      const be = backend as MathBackendCPU;
      const outShape = c.info.outShape;
      const y = alloc(size(outShape));
      addon.conv2d(
        f32(be, x), x.shape as Shape4, filterValues(be, filter), filter.shape as Shape4, null, y, outShape, c.params, 0, 0,
        constantId(filter.dataId),
      );
      evictIfKept(be, addon, filter.dataId);
      return output(be, outShape, y);
    },
  };

  const fused: NativeKernel = {
    kernelName: tf.FusedConv2D,
    run(args) {
      const { backend, attrs } = args;
      const x = need(args, 'x');
      const filter = need(args, 'filter');
      const bias = maybe(args, 'bias');
      const preluActivationWeights = maybe(args, 'preluActivationWeights');
      const a = attrs as unknown as tf.FusedConv2DAttrs;
      if (a.dataFormat === 'NCHW' || !isF32(x) || !isF32(filter) || preluActivationWeights) return null;
      const act = ACTIVATION_CODES[a.activation ?? 'linear'];
      if (act === undefined) return null;
      const c = convInfo(x.shape, filter.shape, a.strides, a.dilations, a.pad, a.dimRoundingMode);
      if (!c) return null;
      const outC = filter.shape[3];
      if (bias && (!isF32(bias) || size(bias.shape) !== outC || bias.shape.slice(0, -1).some((d) => d !== 1))) return null;
      const be = backend as MathBackendCPU;
      const outShape = c.info.outShape;
      const y = alloc(size(outShape));
      addon.conv2d(
        f32(be, x), x.shape as Shape4, filterValues(be, filter), filter.shape as Shape4, bias ? f32(be, bias) : null,
        y, outShape, c.params, act, a.leakyreluAlpha ?? 0.2, constantId(filter.dataId),
      );
      evictIfKept(be, addon, filter.dataId);
      return output(be, outShape, y);
    },
  };

  const backpropInput: NativeKernel = {
    kernelName: tf.Conv2DBackpropInput,
    run(args) {
      const { backend, attrs } = args;
      const dy = need(args, 'dy');
      const filter = need(args, 'filter');
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      if (a.dataFormat === 'NCHW' || !isF32(dy) || !isF32(filter)) return null;
      const c = convInfo(a.inputShape, filter.shape, a.strides, 1, a.pad, a.dimRoundingMode);
      if (!c || c.info.outHeight !== dy.shape[1] || c.info.outWidth !== dy.shape[2]) return null;
      const be = backend as MathBackendCPU;
      const dx = alloc(size(a.inputShape));
      addon.conv2dBackpropInput(
        f32(be, dy), dy.shape as Shape4, f32(be, filter), filter.shape as Shape4, dx, [...a.inputShape], c.params,
      );
      return output(be, [...a.inputShape], dx);
    },
  };

  const backpropFilter: NativeKernel = {
    kernelName: tf.Conv2DBackpropFilter,
    run(args) {
      const { backend, attrs } = args;
      const x = need(args, 'x');
      const dy = need(args, 'dy');
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (a.dataFormat === 'NCHW' || !isF32(x) || !isF32(dy)) return null;
      const c = convInfo(x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
      if (!c || c.info.outHeight !== dy.shape[1] || c.info.outWidth !== dy.shape[2]) return null;
      const be = backend as MathBackendCPU;
      const dw = alloc(size(a.filterShape));
      addon.conv2dBackpropFilter(
        f32(be, x), x.shape as Shape4, f32(be, dy), dy.shape as Shape4, dw, [...a.filterShape], c.params,
      );
      return output(be, [...a.filterShape], dw);
    },
  };

  return [conv2d, fused, backpropInput, backpropFilter];
}
