/** FusedBatchNorm (tfjs's batchNorm op), SquidPerImageNorm, SquidLayerNorm and Softmax over the last axis, float32. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { maybe, need, type NativeKernel } from './types.js';
import { LAYER_NORM, PER_IMAGE_NORM } from '../../../core/ops/names.js';
import { layerGeometry } from '../../../core/ops/layerNorm.js';
import { perImageGeometry } from '../../../core/ops/perImageNorm.js';
import type { SliceGeometry, SliceNormAttrs } from '../../../core/ops/sliceNorm.js';

/**
 * A kernel of src/core/ops/sliceNorm.ts: each slice of x through the
 * addon's moments and batch-norm passes (which read gamma and beta at
 * index % their length, as the slice normalization wants).
 */
function sliceNormKernel(addon: NativeAddon, kernelName: string, geometry: (shape: number[]) => SliceGeometry | null): NativeKernel {
  return {
    kernelName,
    run(args) {
      const x = need(args, 'x');
      const gamma = need(args, 'gamma');
      const beta = need(args, 'beta');
      const geo = geometry(x.shape);
      if (![x, gamma, beta].every(isF32) || !geo || size(x.shape) === 0) return null;
      const { sliceLength: L, channels: C, params: P } = geo;
      if (size(gamma.shape) !== P || size(beta.shape) !== P) return null;
      const { epsilon } = args.attrs as unknown as SliceNormAttrs;
      const be = args.backend as MathBackendCPU;
      const xv = f32(be, x);
      const g = f32(be, gamma);
      const b = f32(be, beta);
      const out = alloc(xv.length);
      const mean = new Float32Array(C);
      const variance = new Float32Array(C);
      for (let o = 0; o < xv.length; o += L) {
        const slice = xv.subarray(o, o + L);
        addon.bnMoments(slice, C, mean, variance);
        addon.batchNorm(slice, mean, variance, b, g, epsilon, out.subarray(o, o + L));
      }
      return output(be, [...x.shape], out);
    },
  };
}

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
    sliceNormKernel(addon, PER_IMAGE_NORM, perImageGeometry),
    sliceNormKernel(addon, LAYER_NORM, layerGeometry),
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
