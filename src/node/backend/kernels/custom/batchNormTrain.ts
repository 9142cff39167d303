/** SquidBatchMoments and SquidBatchNormGrad on the native backend (src/core/ops/batchNormTrain/op.ts). */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { need, type NativeKernel } from '../types.js';
import { BATCH_MOMENTS, BATCH_NORM_GRAD } from '../../../../core/ops/batchNormTrain/op.js';

export function batchMomentsKernel(addon: NativeAddon): NativeKernel {
  return {
  kernelName: BATCH_MOMENTS,
  run(args) {
    const x = need(args, 'x');
    if (!isF32(x) || x.shape.length !== 4 || size(x.shape) === 0) return null;
    const c = x.shape[3]!;
    const be = args.backend as MathBackendCPU;
    const mean = alloc(c);
    const variance = alloc(c);
    addon.bnMoments(f32(be, x), c, mean, variance);
    return [output(be, [c], mean), output(be, [c], variance)];
  },
};
}

export function batchNormGradKernel(addon: NativeAddon): NativeKernel {
  return {
  kernelName: BATCH_NORM_GRAD,
  run(args) {
    const ts = ['dy', 'x', 'gamma', 'mean', 'rstd'].map((k) => need(args, k));
    const [dy, x] = ts as [tf.TensorInfo, tf.TensorInfo];
    if (!ts.every(isF32) || x.shape.length !== 4 || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
    const c = x.shape[3]!;
    if (ts.slice(2).some((t) => size(t.shape) !== c)) return null;
    const be = args.backend as MathBackendCPU;
    const dx = alloc(size(x.shape));
    const dgamma = alloc(c);
    const dbeta = alloc(c);
    const [dyv, xv, gv, mv, rv] = ts.map((t) => f32(be, t));
    addon.bnBackward(dyv!, xv!, gv!, mv!, rv!, c, dx, dgamma, dbeta);
    return [output(be, [...x.shape], dx), output(be, [c], dgamma), output(be, [c], dbeta)];
  },
};
}
