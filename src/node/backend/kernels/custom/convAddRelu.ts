/** SquidConvAddRelu on the native backend (src/core/ops/convAddRelu/op.ts): relu(conv(x) + bias + residual), the residual added by a oneDNN sum post-op. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ACTIVATION_CODES, type NativeAddon, type Shape4 } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { constantId, evictIfKept } from '../../native/constantFilters.js';
import { need, type NativeKernel } from '../types.js';
import { convInfo, filterValues } from '../conv.js';
import { CONV_ADD_RELU, type ConvAddReluAttrs } from '../../../../core/ops/convAddRelu/op.js';

export function convAddReluKernel(addon: NativeAddon): NativeKernel {
  return {
    kernelName: CONV_ADD_RELU,
    run(args) {
      const { backend } = args;
      const x = need(args, 'x');
      const filter = need(args, 'filter');
      const bias = need(args, 'bias');
      const residual = need(args, 'residual');
      const a = args.attrs as unknown as ConvAddReluAttrs;
      if (![x, filter, bias, residual].every(isF32)) return null;
      const c = convInfo(x.shape, filter.shape, a.strides, 1, a.pad, undefined);
      if (!c || size(bias.shape) !== filter.shape[3] || !tf.util.arraysEqual(residual.shape, c.info.outShape)) return null;
      const be = backend as MathBackendCPU;
      const outShape = c.info.outShape;
      const y = alloc(size(outShape));
      addon.conv2d(
        f32(be, x), x.shape as Shape4, filterValues(be, filter), filter.shape as Shape4, f32(be, bias), y, outShape, c.params,
        ACTIVATION_CODES.relu as number, 0, constantId(filter.dataId), f32(be, residual),
      );
      evictIfKept(be, addon, filter.dataId);
      return output(be, outShape, y);
    },
  };
}
