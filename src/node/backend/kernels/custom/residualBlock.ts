/** SquidResidualBlock on the native backend (src/core/ops/residualBlock/op.ts): a residual block at inference in one call (native/src/conv/block.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { type NativeAddon, type Shape4 } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { constantId, evictIfKept } from '../../native/constantFilters.js';
import { need, type NativeKernel } from '../types.js';
import { convInfo, filterValues } from '../conv.js';
import { RESIDUAL_BLOCK, type ResidualBlockAttrs } from '../../../../core/ops/residualBlock/op.js';

export function residualBlockKernel(addon: NativeAddon): NativeKernel {
  return {
    kernelName: RESIDUAL_BLOCK,
    run(args) {
      const { backend } = args;
      const x = need(args, 'x');
      const f = [need(args, 'filter1'), need(args, 'filter2'), need(args, 'filter3')] as const;
      const b = [need(args, 'bias1'), need(args, 'bias2'), need(args, 'bias3')] as const;
      const a = args.attrs as unknown as ResidualBlockAttrs;
      if (![x, ...f, ...b].every(isF32)) return null;
      const c1 = convInfo(x.shape, f[0].shape, a.strides, 1, a.pad, undefined);
      if (!c1) return null;
      const c2 = convInfo(c1.info.outShape, f[1].shape, 1, 1, a.pad, undefined);
      if (!c2 || !tf.util.arraysEqual(c2.info.outShape, c1.info.outShape) || !tf.util.arraysEqual(f[1].shape, f[2].shape)) return null;
      if (f[1].shape[2] !== f[0].shape[3] || f[1].shape[3] !== f[0].shape[3]) return null;
      if (b.some((t, i) => size(t.shape) !== f[i]!.shape[3])) return null;
      const be = backend as MathBackendCPU;
      const outShape = c2.info.outShape;
      const y = alloc(size(outShape));
      const w = (i: 0 | 1 | 2) => [filterValues(be, f[i]), f[i].shape as Shape4, f32(be, b[i]), constantId(f[i].dataId)] as const;
      addon.convBlock(f32(be, x), x.shape as Shape4, ...w(0), ...w(1), ...w(2), y, outShape, c1.params, c2.params);
      for (const t of f) evictIfKept(be, addon, t.dataId);
      return output(be, outShape, y);
    },
  };
}
