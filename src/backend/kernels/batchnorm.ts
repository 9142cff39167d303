/** FusedBatchNorm (tfjs's batchNorm op), SquidPerImageNorm, SquidLayerNorm and Softmax over the last axis, float32. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { maybe, need, type NativeKernel } from './types.js';
import { LAYER_NORM, PER_IMAGE_NORM } from '../ops/names.js';
import type { LayerNormAttrs } from '../ops/layerNorm.js';
import type { PerImageNormAttrs } from '../ops/perImageNorm.js';

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
      // src/backend/ops/perImageNorm.ts: each image's slice through the moments and batch-norm passes
      kernelName: PER_IMAGE_NORM,
      run(args) {
        const x = need(args, 'x');
        const gamma = need(args, 'gamma');
        const beta = need(args, 'beta');
        if (![x, gamma, beta].every(isF32) || x.shape.length !== 4) return null;
        const [n, h, w, c] = x.shape as [number, number, number, number];
        if (n * h * w * c === 0 || size(gamma.shape) !== c || size(beta.shape) !== c) return null;
        const { epsilon } = args.attrs as unknown as PerImageNormAttrs;
        const be = args.backend as MathBackendCPU;
        const xv = f32(be, x);
        const g = f32(be, gamma);
        const b = f32(be, beta);
        const out = alloc(size(x.shape));
        const mean = new Float32Array(c);
        const variance = new Float32Array(c);
        const per = h * w * c;
        for (let i = 0; i < n; i++) {
          const xi = xv.subarray(i * per, (i + 1) * per);
          addon.bnMoments(xi, c, mean, variance);
          addon.batchNorm(xi, mean, variance, b, g, epsilon, out.subarray(i * per, (i + 1) * per));
        }
        return output(be, [...x.shape], out);
      },
    },
    {
      // src/backend/ops/layerNorm.ts: each row through the moments (one channel) and batch-norm passes
      kernelName: LAYER_NORM,
      run(args) {
        const x = need(args, 'x');
        const gamma = need(args, 'gamma');
        const beta = need(args, 'beta');
        if (![x, gamma, beta].every(isF32) || x.shape.length === 0) return null;
        const d = x.shape[x.shape.length - 1] as number;
        if (size(x.shape) === 0 || size(gamma.shape) !== d || size(beta.shape) !== d) return null;
        const { epsilon } = args.attrs as unknown as LayerNormAttrs;
        const be = args.backend as MathBackendCPU;
        const xv = f32(be, x);
        const g = f32(be, gamma);
        const b = f32(be, beta);
        const out = alloc(size(x.shape));
        const mean = new Float32Array(1);
        const variance = new Float32Array(1);
        for (let o = 0; o < xv.length; o += d) {
          const row = xv.subarray(o, o + d);
          addon.bnMoments(row, 1, mean, variance);
          addon.batchNorm(row, mean, variance, b, g, epsilon, out.subarray(o, o + d));
        }
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
