/** Transpose, Concat, Slice, PadV2, SplitV, GatherV2 (rows), ZerosLike, OnesLike on the native backend (region copies; float32). */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { need, type NativeKernel } from './types.js';

export function layoutKernels(addon: NativeAddon): NativeKernel[] {
  const transpose: NativeKernel = {
    kernelName: tf.Transpose,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x)) return null;
      const perm = (args.attrs as { perm: number[] }).perm;
      const be = args.backend as MathBackendCPU;
      const outShape = perm.map((p) => x.shape[p] as number);
      const out = alloc(size(x.shape));
      addon.transpose(f32(be, x), x.shape, [...perm], out);
      return output(be, outShape, out);
    },
  };
  const concat: NativeKernel = {
    kernelName: tf.Concat,
    run(args) {
      const ts = args.inputs as unknown as tf.TensorInfo[];
      if (ts.length === 0 || !ts.every(isF32)) return null;
      const first = ts[0] as tf.TensorInfo;
      const rank = first.shape.length;
      if (rank === 0 || !ts.every((t) => t.shape.length === rank)) return null;
      const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, first.shape)[0] as number;
      const outShape = tf.backend_util.computeOutShape(ts.map((t) => t.shape), axis);
      const be = args.backend as MathBackendCPU;
      const out = alloc(size(outShape));
      let offset = 0;
      for (const t of ts) {
        if (size(t.shape) > 0) {
          const begin = new Array<number>(rank).fill(0);
          begin[axis] = offset;
          addon.copyRegion(f32(be, t), t.shape, new Array<number>(rank).fill(0), out, outShape, begin, t.shape);
        }
        offset += t.shape[axis] as number;
      }
      return output(be, outShape, out);
    },
  };
  const slice: NativeKernel = {
    kernelName: tf.Slice,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x) || x.shape.length === 0) return null;
      const a = args.attrs as unknown as tf.SliceAttrs;
      const [begin, sz] = tf.slice_util.parseSliceParams(x, a.begin, a.size) as [number[], number[]];
      tf.slice_util.assertParamsValid(x, begin, sz);
      const be = args.backend as MathBackendCPU;
      const out = alloc(size(sz));
      if (out.length > 0) addon.copyRegion(f32(be, x), x.shape, begin, out, sz, new Array<number>(sz.length).fill(0), sz);
      return output(be, sz, out);
    },
  };
  const pad: NativeKernel = {
    kernelName: tf.PadV2,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x) || x.shape.length === 0) return null;
      const a = args.attrs as unknown as tf.PadV2Attrs;
      if (a.paddings.some(([lo, hi]) => lo < 0 || hi < 0)) return null;
      const outShape = x.shape.map((d, i) => d + (a.paddings[i]?.[0] ?? 0) + (a.paddings[i]?.[1] ?? 0));
      const be = args.backend as MathBackendCPU;
      const out = alloc(size(outShape));
      addon.fill(out, a.constantValue); // out is uninitialized
      if (size(x.shape) > 0) {
        addon.copyRegion(f32(be, x), x.shape, new Array<number>(x.shape.length).fill(0), out, outShape, a.paddings.map((p) => p[0]), x.shape);
      }
      return output(be, outShape, out);
    },
  };
  const splitV: NativeKernel = {
    kernelName: tf.SplitV,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x) || x.shape.length === 0) return null;
      const a = args.attrs as unknown as tf.SplitVAttrs;
      const axis = tf.util.parseAxisParam(a.axis, x.shape)[0] as number;
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, a.numOrSizeSplits, axis);
      const be = args.backend as MathBackendCPU;
      const xs = f32(be, x);
      const begin = new Array<number>(x.shape.length).fill(0);
      const zeros = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const shape = [...x.shape];
        shape[axis] = s;
        const out = alloc(size(shape));
        if (out.length > 0) addon.copyRegion(xs, x.shape, begin, out, shape, zeros, shape);
        begin[axis]! += s;
        return output(be, shape, out);
      });
    },
  };
  const filled = (kernelName: string, value: number): NativeKernel => ({
    kernelName,
    run(args) {
      const x = need(args, 'x');
      if (!isF32(x)) return null;
      const out = alloc(size(x.shape));
      addon.fill(out, value);
      return output(args.backend as MathBackendCPU, [...x.shape], out);
    },
  });
  // rows of a float32 tensor by int32 index along axis 0 (the memory queue's
  // FIFO write): one block copy per row; tfjs-cpu gathers element by element
  // (its cost per training step: bench/README.md)
  const gather: NativeKernel = {
    kernelName: tf.GatherV2,
    run(args) {
      const x = need(args, 'x');
      const indices = need(args, 'indices');
      const attrs = args.attrs as { axis: number; batchDims: number };
      if (!isF32(x) || indices.dtype !== 'int32' || x.shape.length < 1 || (attrs.batchDims ?? 0) !== 0) return null;
      if (tf.util.parseAxisParam(attrs.axis, x.shape)[0] !== 0) return null;
      const be = args.backend as MathBackendCPU;
      const idx = be.data.get(indices.dataId).values as Int32Array;
      const rows = x.shape[0] as number;
      const row = size(x.shape) / Math.max(rows, 1);
      const src = f32(be, x);
      const out = alloc(idx.length * row);
      for (let i = 0; i < idx.length; i++) {
        const r = idx[i] as number;
        if (!(r >= 0 && r < rows)) throw new Error(`GatherV2: index ${r} is not in [0, ${rows})`);
        out.set(src.subarray(r * row, (r + 1) * row), i * row);
      }
      return output(be, [...indices.shape, ...x.shape.slice(1)], out);
    },
  };
  return [transpose, concat, slice, pad, splitV, gather, filled(tf.ZerosLike, 0), filled(tf.OnesLike, 1)];
}
