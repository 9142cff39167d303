/**
 * Elementwise kernels on the native backend: broadcasting binary arithmetic
 * (Add, Sub, Multiply, RealDiv, Maximum, Minimum, SquaredDifference, Pow),
 * AddN, comparisons (bool out), Select, and unary ops with the attributes
 * tfjs gives them. float32 only; other dtypes run the tfjs-cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS, type NativeAddon } from '../native/addon.js';
import { alloc, f32, isF32, output, size } from '../native/storage.js';
import { need, type KernelArgs, type NativeKernel } from './types.js';

function binaryKernel(addon: NativeAddon, kernelName: string, op: number): NativeKernel {
  return {
    kernelName,
    run(args: KernelArgs) {
      const a = need(args, 'a');
      const b = need(args, 'b');
      if (!isF32(a) || !isF32(b)) return null;
      const be = args.backend as MathBackendCPU;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = alloc(size(outShape));
      addon.binary(op, f32(be, a), a.shape, f32(be, b), b.shape, out, outShape);
      return output(be, outShape, out);
    },
  };
}

function compareKernel(addon: NativeAddon, kernelName: string, op: number): NativeKernel {
  return {
    kernelName,
    run(args: KernelArgs) {
      const a = need(args, 'a');
      const b = need(args, 'b');
      if (!isF32(a) || !isF32(b)) return null;
      const be = args.backend as MathBackendCPU;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = new Uint8Array(size(outShape));
      addon.compare(op, f32(be, a), a.shape, f32(be, b), b.shape, out, outShape);
      return be.makeTensorInfo(outShape, 'bool', out);
    },
  };
}

type UnaryParams = (attrs: Record<string, unknown>) => [number, number];

function unaryKernel(addon: NativeAddon, kernelName: string, op: number, params?: UnaryParams): NativeKernel {
  return {
    kernelName,
    run(args: KernelArgs) {
      const x = need(args, 'x');
      if (!isF32(x)) return null;
      const be = args.backend as MathBackendCPU;
      const [alpha, beta] = params ? params((args.attrs ?? {}) as Record<string, unknown>) : [0, 0];
      const out = alloc(size(x.shape));
      addon.unary(op, f32(be, x), out, alpha, beta);
      return output(be, [...x.shape], out);
    },
  };
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

export function elementwiseKernels(addon: NativeAddon): NativeKernel[] {
  const B = BINARY_OPS;
  const C = COMPARE_OPS;
  const U = UNARY_OPS;
  const addN: NativeKernel = {
    kernelName: tf.AddN,
    run(args) {
      const ts = args.inputs as unknown as tf.TensorInfo[];
      if (ts.length === 0 || !ts.every(isF32)) return null;
      const shape = (ts[0] as tf.TensorInfo).shape;
      if (!ts.every((t) => tf.util.arraysEqual(t.shape, shape))) return null;
      const be = args.backend as MathBackendCPU;
      const out = alloc(size(shape));
      addon.binary(B.add, f32(be, ts[0] as tf.TensorInfo), shape, f32(be, ts[1] ?? ts[0] as tf.TensorInfo), shape, out, shape);
      if (ts.length === 1) out.set(f32(be, ts[0] as tf.TensorInfo));
      for (const t of ts.slice(2)) addon.binary(B.add, out, shape, f32(be, t), shape, out, shape);
      return output(be, [...shape], out);
    },
  };
  const select: NativeKernel = {
    kernelName: tf.Select,
    run(args) {
      const cond = need(args, 'condition');
      const t = need(args, 't');
      const e = need(args, 'e');
      if (!isF32(t) || !isF32(e) || cond.dtype !== 'bool' || !tf.util.arraysEqual(t.shape, e.shape)) return null;
      const be = args.backend as MathBackendCPU;
      const c = be.data.get(cond.dataId).values;
      if (!(c instanceof Uint8Array)) return null;
      const n = size(t.shape);
      if (c.length === 0 || n % c.length !== 0) return null;
      if (c.length !== n && !(cond.shape.length === 1 && cond.shape[0] === t.shape[0])) return null;
      const out = new Float32Array(n);
      addon.select(c, f32(be, t), f32(be, e), out);
      return output(be, [...t.shape], out);
    },
  };
  return [
    binaryKernel(addon, tf.Add, B.add),
    binaryKernel(addon, tf.Sub, B.sub),
    binaryKernel(addon, tf.Multiply, B.mul),
    binaryKernel(addon, tf.RealDiv, B.div),
    binaryKernel(addon, tf.Maximum, B.maximum),
    binaryKernel(addon, tf.Minimum, B.minimum),
    binaryKernel(addon, tf.SquaredDifference, B.squaredDifference),
    binaryKernel(addon, tf.Pow, B.pow),
    addN,
    compareKernel(addon, tf.Greater, C.greater),
    compareKernel(addon, tf.GreaterEqual, C.greaterEqual),
    compareKernel(addon, tf.Less, C.less),
    compareKernel(addon, tf.LessEqual, C.lessEqual),
    compareKernel(addon, tf.Equal, C.equal),
    compareKernel(addon, tf.NotEqual, C.notEqual),
    select,
    unaryKernel(addon, tf.Relu, U.relu),
    unaryKernel(addon, tf.LeakyRelu, U.leakyRelu, (a) => [num(a.alpha, 0.2), 0]),
    unaryKernel(addon, tf.Sigmoid, U.sigmoid),
    unaryKernel(addon, tf.Tanh, U.tanh),
    unaryKernel(addon, tf.Exp, U.exp),
    unaryKernel(addon, tf.Log, U.log),
    unaryKernel(addon, tf.Neg, U.neg),
    unaryKernel(addon, tf.Abs, U.abs),
    unaryKernel(addon, tf.Sqrt, U.sqrt),
    unaryKernel(addon, tf.Rsqrt, U.rsqrt),
    unaryKernel(addon, tf.Square, U.square),
    unaryKernel(addon, tf.Log1p, U.log1p),
    unaryKernel(addon, tf.Elu, U.elu),
    unaryKernel(addon, tf.Relu6, U.relu6),
    unaryKernel(addon, tf.Step, U.step, (a) => [num(a.alpha, 0), 0]),
    unaryKernel(addon, tf.Reciprocal, U.reciprocal),
    unaryKernel(addon, tf.Softplus, U.softplus),
    unaryKernel(addon, tf.Sign, U.sign),
    unaryKernel(addon, tf.Expm1, U.expm1),
    unaryKernel(addon, tf.ClipByValue, U.clip, (a) => [num(a.clipValueMin, -Infinity), num(a.clipValueMax, Infinity)]),
  ];
}
