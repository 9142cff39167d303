/** SquidReluGrad on the native backend (src/core/ops/reluGrad/op.ts): y > 0 ? dy : 0 in one pass. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { need, type NativeKernel } from '../types.js';
import { RELU_GRAD } from '../../../../core/ops/reluGrad/op.js';

export function reluGradKernel(addon: NativeAddon): NativeKernel {
  return {
    kernelName: RELU_GRAD,
    run(args) {
      const dy = need(args, 'dy');
      const x = need(args, 'x');
      if (!isF32(dy) || !isF32(x) || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
      const be = args.backend as MathBackendCPU;
      const out = alloc(size(x.shape));
      addon.reluGrad(f32(be, dy), f32(be, x), out);
      return output(be, [...x.shape], out);
    },
  };
}
