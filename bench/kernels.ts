/**
 * Per-kernel cases of the bench, at shapes taken from the zhanglab model
 * (scaled down where tfjs-cpu would take minutes), timed on one backend.
 * The same cases (NCHW for convolutions) are timed by bench/pytorch/kernels.py.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelCase {
  name: string;
  /** What PyTorch runs for it (bench/pytorch/kernels.py). */
  torch: { op: string; shapes: number[][]; args?: Record<string, number | boolean> };
  /** false: too slow for tfjs-cpu (minutes); its column says n/a. */
  cpu?: boolean;
  /** Builds inputs and returns the computation (kept tensors are disposed by the caller). */
  setup(): { inputs: tf.Tensor[]; run: () => tf.Tensor | tf.Tensor[] };
}

const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1, 'float32', 3);

function conv(n: number, s: number, cin: number, cout: number, stride: number, cpu = true): KernelCase[] {
  const tag = `${n}x${s}x${s}, ${cin}->${cout}${stride === 2 ? ' s2' : ''}`;
  const out = Math.ceil(s / stride);
  const shapes = [[n, s, s, cin], [3, 3, cin, cout], [n, out, out, cout]];
  return [
    {
      name: `Conv2D ${tag}`,
      cpu,
      torch: { op: 'conv2d', shapes, args: { stride } },
      setup() {
        const x = rand(shapes[0]!);
        const w = rand(shapes[1]!);
        return { inputs: [x, w], run: () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same') };
      },
    },
    {
      name: `Conv2DBackpropInput ${tag}`,
      cpu,
      torch: { op: 'conv2d_backward_input', shapes, args: { stride } },
      setup() {
        const dy = rand(shapes[2]!);
        const w = rand(shapes[1]!);
        return { inputs: [dy, w], run: () => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [n, s, s, cin], stride, 'same') };
      },
    },
    {
      name: `Conv2DBackpropFilter ${tag}`,
      cpu,
      torch: { op: 'conv2d_backward_filter', shapes, args: { stride } },
      setup() {
        const x = rand(shapes[0]!);
        const dy = rand(shapes[2]!);
        return {
          inputs: [x, dy],
          run: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
            strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: shapes[1],
          }) as tf.Tensor,
        };
      },
    },
  ];
}

function binary(name: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, torchOp: string, a: number[], b: number[]): KernelCase {
  return {
    name: `${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`,
    torch: { op: torchOp, shapes: [a, b] },
    setup() {
      const x = rand(a);
      const y = rand(b);
      return { inputs: [x, y], run: () => op(x, y) };
    },
  };
}

function unary(name: string, op: (a: tf.Tensor) => tf.Tensor, torchOp: string, a: number[]): KernelCase {
  return {
    name: `${name} ${JSON.stringify(a)}`,
    torch: { op: torchOp, shapes: [a] },
    setup() {
      const x = rand(a);
      return { inputs: [x], run: () => op(x) };
    },
  };
}

/** Scale: 'full' uses model shapes (native and PyTorch only); 'small' shapes also run on tfjs-cpu. */
export function kernelCases(): KernelCase[] {
  const act = [4, 64, 64, 32];
  return [
    ...conv(2, 16, 32, 32, 1),
    ...conv(2, 16, 32, 64, 2),
    // a model-sized 3x3 stride-1 layer (decoder, full image at 64 px, batch 16): Winograd on AVX-512
    ...conv(16, 64, 64, 64, 1, false),
    binary('Add (bias)', tf.add, 'add', act, [32]),
    binary('Multiply', tf.mul, 'mul', act, act),
    binary('Sub (per-channel)', tf.sub, 'sub', act, [1, 1, 1, 32]),
    unary('Relu', tf.relu, 'relu', act),
    unary('LeakyRelu', (x) => tf.leakyRelu(x, 0.2), 'leaky_relu', act),
    unary('Sigmoid', tf.sigmoid, 'sigmoid', act),
    {
      name: `Relu grad ${JSON.stringify(act)}`,
      torch: { op: 'relu_grad', shapes: [act] },
      setup() {
        const x = rand(act);
        const dy = rand(act);
        return { inputs: [x, dy], run: () => tf.grad((v: tf.Tensor) => tf.relu(v))(x, dy) };
      },
    },
    unary('Sum over N,H,W', (x) => tf.sum(x, [0, 1, 2]), 'sum_nhw', act),
    unary('Mean over N,H,W', (x) => tf.mean(x, [0, 1, 2]), 'mean_nhw', act),
    unary('Max over last axis', (x) => tf.max(x, -1), 'max_last', act),
    {
      name: `moments + batchNorm (train) ${JSON.stringify(act)}`,
      torch: { op: 'batchnorm_train', shapes: [act] },
      setup() {
        const x = rand(act);
        const g = tf.ones([32]);
        const b = tf.zeros([32]);
        return {
          inputs: [x, g, b],
          run: () => {
            const { mean, variance } = tf.moments(x, [0, 1, 2]);
            return tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
          },
        };
      },
    },
    {
      name: 'BatchMatMul [256,2048]x[2048,512]',
      torch: { op: 'matmul', shapes: [[256, 2048], [2048, 512]] },
      setup() {
        const a = rand([256, 2048]);
        const b = rand([2048, 512]);
        return { inputs: [a, b], run: () => tf.matMul(a, b) };
      },
    },
    {
      name: 'ResizeBilinear [4,32,32,32] -> 64x64',
      torch: { op: 'resize', shapes: [[4, 32, 32, 32]], args: { size: 64 } },
      setup() {
        const x = rand([4, 32, 32, 32]);
        return { inputs: [x], run: () => tf.image.resizeBilinear(x as tf.Tensor4D, [64, 64], false, true) };
      },
    },
    {
      name: 'ResizeBilinearGrad [4,32,32,32] <- 64x64',
      torch: { op: 'resize_grad', shapes: [[4, 32, 32, 32]], args: { size: 64 } },
      setup() {
        const x = rand([4, 32, 32, 32]);
        const dy = rand([4, 64, 64, 32]);
        return { inputs: [x, dy], run: () => tf.grad((v: tf.Tensor) => tf.image.resizeBilinear(v as tf.Tensor4D, [64, 64], false, true))(x, dy) };
      },
    },
    {
      name: 'Concat channels [4,64,64,32]+[4,64,64,32]',
      torch: { op: 'concat', shapes: [act, act] },
      setup() {
        const a = rand(act);
        const b = rand(act);
        return { inputs: [a, b], run: () => tf.concat([a, b], 3) };
      },
    },
    {
      name: 'Transpose (patch split) [4,2,32,2,32,32]',
      torch: { op: 'transpose_patch', shapes: [[4, 2, 32, 2, 32, 32]] },
      setup() {
        const x = rand([4, 2, 32, 2, 32, 32]);
        return { inputs: [x], run: () => tf.transpose(x, [0, 1, 3, 2, 4, 5]) };
      },
    },
    {
      name: 'Slice [4,64,64,32] half',
      torch: { op: 'slice_half', shapes: [act] },
      setup() {
        const x = rand(act);
        return { inputs: [x], run: () => tf.slice(x, [0, 0, 0, 0], [4, 64, 64, 16]) };
      },
    },
    {
      name: 'Pad [4,64,64,32] by 1',
      torch: { op: 'pad1', shapes: [act] },
      setup() {
        const x = rand(act);
        return { inputs: [x], run: () => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) };
      },
    },
    {
      name: 'Softmax [256,200]',
      torch: { op: 'softmax', shapes: [[256, 200]] },
      setup() {
        const x = rand([256, 200]);
        return { inputs: [x], run: () => tf.softmax(x) };
      },
    },
  ];
}

/** Median ms of `reps` runs after one warm-up, capped at ~capMs total. */
export function timeCase(c: KernelCase, capMs = 4000): number {
  const { inputs, run } = c.setup();
  const once = (): number => {
    const t0 = performance.now();
    const out = run(); // cpu and native kernels are synchronous: done on return
    const dt = performance.now() - t0;
    const outs = Array.isArray(out) ? out : [out];
    tf.dispose(outs);
    return dt;
  };
  const first = once();
  const times: number[] = [];
  const reps = Math.max(1, Math.min(20, Math.floor(capMs / Math.max(first, 0.01))));
  for (let i = 0; i < reps; i++) times.push(once());
  tf.dispose(inputs);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}
