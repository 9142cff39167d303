/** FusedBatchNorm (tfjs's batchNorm op), SquidPerImageNorm, SquidLayerNorm and Softmax over the last axis, float32. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { maybe, need, type NativeKernel } from './types.js';

export function batchnormKernels(addon: NativeAddon): NativeKernel[] {
  return [
    {
      kernelName: tf.FusedBatchNorm,
      run(args) {
        const x = need(args, 'x');
        const mean = need(args, 'mean');
        const variance = need(args, 'variance');
        const offset = maybe(args, 'offset');
        const scale = maybe(args, 'scale');
        if (![x, mean, variance, offset, scale].every((t) => t === undefined || isF32(t))) return null;
        if (size(mean.shape) === 0 || size(variance.shape) === 0) return null;
        const eps = (args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
        const be = args.backend as MathBackendCPU;
        const out = alloc(size(x.shape));
        addon.batchNorm(
          f32(be, x), f32(be, mean), f32(be, variance), offset ? f32(be, offset) : null, scale ? f32(be, scale) : null, eps, out,
        );
        return output(be, [...x.shape], out);
      },
    },
    {
      kernelName: tf.Softmax,
      run(args) {
        const logits = need(args, 'logits');
        if (!isF32(logits) || logits.shape.length === 0) return null;
        const dim = (args.attrs as { dim?: number }).dim ?? -1;
        const rank = logits.shape.length;
        if (dim !== -1 && dim !== rank - 1) return null;
        const cols = logits.shape[rank - 1]!;
        if (cols < 1) return null;
        const be = args.backend as MathBackendCPU;
        const out = alloc(size(logits.shape));
        addon.softmax(f32(be, logits), out.length / cols, cols, out);
        return output(be, [...logits.shape], out);
      },
    },
  ];
}
