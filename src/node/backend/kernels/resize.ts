/**
 * ResizeBilinear and ResizeBilinearGrad (NHWC, float32).
 *
 * tfjs-cpu's ResizeBilinearGrad (4.22) ignores halfPixelCenters: with
 * half-pixel centres (the model's up blocks, as PyTorch's
 * align_corners=False) its gradient is not the adjoint of the forward. The
 * native gradient is the exact adjoint for every flag combination, and
 * `correctedResizeBilinearGrad` gives the cpu backend the same JavaScript
 * fix so both backends (and PyTorch) agree.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon, Shape4 } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { need, type KernelArgs, type NativeKernel } from './types.js';

interface Flags {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

function flags(args: KernelArgs): Flags {
  const a = (args.attrs ?? {}) as Partial<tf.ResizeBilinearAttrs>;
  return { alignCorners: a.alignCorners === true, halfPixelCenters: a.halfPixelCenters === true };
}

export function resizeKernels(addon: NativeAddon): NativeKernel[] {
  return [
    {
      kernelName: tf.ResizeBilinear,
      run(args) {
        const x = need(args, 'images');
        if (!isF32(x) || x.shape.length !== 4) return null;
        const { size: [h, w] } = args.attrs as unknown as tf.ResizeBilinearAttrs;
        const f = flags(args);
        const be = args.backend as MathBackendCPU;
        const outShape: Shape4 = [x.shape[0]!, h, w, x.shape[3]!];
        const y = alloc(size(outShape));
        addon.resizeBilinear(f32(be, x), x.shape as Shape4, y, outShape, f.alignCorners, f.halfPixelCenters);
        return output(be, outShape, y);
      },
    },
    {
      kernelName: tf.ResizeBilinearGrad,
      run(args) {
        const images = need(args, 'images');
        const dy = need(args, 'dy');
        if (!isF32(dy) || images.shape.length !== 4 || dy.shape.length !== 4) return null;
        const f = flags(args);
        const be = args.backend as MathBackendCPU;
        const dx = alloc(size(images.shape));
        addon.resizeBilinearGrad(f32(be, dy), dy.shape as Shape4, dx, images.shape as Shape4, f.alignCorners, f.halfPixelCenters);
        return output(be, [...images.shape], dx);
      },
    },
  ];
}

function taps(inSize: number, outSize: number, f: Flags): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const effIn = f.alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = f.alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = f.halfPixelCenters ? ratio * (i + 0.5) - 0.5 : ratio * i;
    const l = Math.max(0, Math.floor(src));
    lo[i] = l;
    hi[i] = Math.min(inSize - 1, Math.ceil(src));
    frac[i] = src - l;
  }
  return { lo, hi, frac };
}

/** The adjoint of tfjs-cpu's ResizeBilinear forward, in JavaScript, for the cpu backend. */
export function correctedResizeBilinearGrad(args: KernelArgs): tf.TensorInfo {
  const images = need(args, 'images');
  const dy = need(args, 'dy');
  const be = args.backend as MathBackendCPU;
  const f = flags(args);
  const [n, h, w, c] = images.shape as Shape4;
  const [, oh, ow] = dy.shape as Shape4;
  const g = be.data.get(dy.dataId).values as Float32Array;
  const dx = new Float32Array(n * h * w * c);
  const rt = taps(h, oh, f);
  const ct = taps(w, ow, f);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const fr = rt.frac[r]!;
      const top = (b * h + rt.lo[r]!) * w * c;
      const bot = (b * h + rt.hi[r]!) * w * c;
      for (let col = 0; col < ow; col++) {
        const fc = ct.frac[col]!;
        const l = ct.lo[col]! * c;
        const rr = ct.hi[col]! * c;
        const wtl = (1 - fr) * (1 - fc);
        const wtr = (1 - fr) * fc;
        const wbl = fr * (1 - fc);
        const wbr = fr * fc;
        for (let d = 0; d < c; d++) {
          const v = g[k++]!;
          dx[top + l + d]! += v * wtl;
          dx[top + rr + d]! += v * wtr;
          dx[bot + l + d]! += v * wbl;
          dx[bot + rr + d]! += v * wbr;
        }
      }
    }
  }
  return be.makeTensorInfo([n, h, w, c], 'float32', dx);
}
