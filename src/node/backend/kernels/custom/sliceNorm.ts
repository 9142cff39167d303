/** The native kernel under SquidPerImageNorm and SquidLayerNorm (src/core/ops/sliceNorm.ts). */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { need, type NativeKernel } from '../types.js';
import type { SliceGeometry, SliceNormAttrs } from '../../../../core/ops/sliceNorm.js';

/**
 * A kernel of src/core/ops/sliceNorm.ts: each slice of x through the
 * addon's moments and batch-norm passes (which read gamma and beta at
 * index % their length, as the slice normalization wants).
 */
export function sliceNormKernel(addon: NativeAddon, kernelName: string, geometry: (shape: number[]) => SliceGeometry | null): NativeKernel {
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

