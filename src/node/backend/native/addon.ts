/**
 * Loads the oneDNN addon built by scripts/build-native.mjs
 * (native/build/Release/squid_native.node) and describes its functions.
 * Node only. Every function checks its arguments in C++ and throws a JS
 * error on a mismatch; callers still pass exact shapes.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Conv geometry: [strideH, strideW, dilationH, dilationW, padTop, padBottom, padLeft, padRight]. */
export type ConvParams = [number, number, number, number, number, number, number, number];
export type Shape4 = [number, number, number, number];

export interface NativeInfo {
  onednn: string;
  threads: number;
  ompMaxThreads: number;
  cpuRuntime: string;
  /** Large allocations served from the heap (see native/src/addon.cc). */
  mallocTuned: boolean;
  /** oneDNN's instruction set on this CPU, e.g. "avx512_core_bf16" (Winograd convolutions need avx512_core). */
  cpuIsa: string;
}

export interface NativeAddon {
  info(): NativeInfo;
  setThreads(n: number): number;
  /**
   * y = act(conv(x, w) + bias [+ residual]); x [N,H,W,C], w [KH,KW,C,O], y and residual [N,OH,OW,O] (residual
   * not y itself). act: see ACTIVATION_CODES.
   */
  conv2d(
    x: Float32Array, xShape: Shape4, w: Float32Array, wShape: Shape4, bias: Float32Array | null,
    y: Float32Array, yShape: Shape4, params: ConvParams, act: number, alpha: number, constantId?: number,
    residual?: Float32Array | null,
  ): void;
  /**
   * A residual block at inference: a = relu(conv(x, w1) + b1) with params1; y = relu(conv(relu(conv(a, w2) + b2), w3) +
   * b3 + a), conv2 and conv3 with params2 (w2 and w3 the same shape, [KH,KW,O,O]). id: the filter's constant id or 0.
   */
  convBlock(
    x: Float32Array, xShape: Shape4,
    w1: Float32Array, w1Shape: Shape4, b1: Float32Array, id1: number,
    w2: Float32Array, w2Shape: Shape4, b2: Float32Array, id2: number,
    w3: Float32Array, w3Shape: Shape4, b3: Float32Array, id3: number,
    y: Float32Array, yShape: Shape4, params1: ConvParams, params2: ConvParams,
  ): void;
  /** out[m, b, :] = sum_j weights[m, b, j] * memory[m, indices[m, b, j], :]; memory [M, S, d], indices and weights [M, B, k]. */
  sparseRead(memory: Float32Array, memoryShape: [number, number, number], indices: Int32Array, weights: Float32Array,
    bk: [number, number], out: Float32Array): void;
  /** Drops the reordered copies kept for a constant filter id (constantId > 0 in conv2d: w never changes while the id lives). */
  releaseConstantFilter(id: number): void;
  /** Whether a reordered copy of the constant filter id is kept (conv2d then accepts an empty w for it). */
  constantFilterKept(id: number): boolean;
  /** The kept constant filter's values in HWIO order, into out. */
  readConstantFilter(id: number, out: Float32Array): void;
  /** Bytes held by kept constant-filter copies. */
  constantFilterBytes(): number;
  conv2dBackpropInput(
    dy: Float32Array, dyShape: Shape4, w: Float32Array, wShape: Shape4, dx: Float32Array, dxShape: Shape4, params: ConvParams,
  ): void;
  conv2dBackpropFilter(
    x: Float32Array, xShape: Shape4, dy: Float32Array, dyShape: Shape4, dw: Float32Array, wShape: Shape4, params: ConvParams,
  ): void;
  /** An uninitialized Float32Array of n >= 1 floats on the C heap (see native/src/storage.cc). */
  allocF32(n: number): Float32Array;
  /** Detaches and frees an allocF32 array now (views of it then read as empty); false if it is not one. */
  releaseF32(a: Float32Array): boolean;
  /** allocF32 blocks not yet released or collected. */
  liveBlocks(): number;
  /** Gives the whole pages inside an allocF32 block back to the system (it stays allocated; reads as zeros after); bytes given back. */
  adviseF32(a: Float32Array): number;
  /** glibc's main-heap figures in bytes (-1 where unknown): obtained from the system, allocated, in free chunks. */
  heapStats(): { footprint: number; inUse: number; free: number };
  /** oneDNN's implementation names for this convolution's three primitives (e.g. "jit_wino_4x3:avx512_core"). */
  convImpl(xShape: Shape4, wShape: Shape4, yShape: Shape4, params: ConvParams): { forward: string; backwardData: string; backwardFilter: string };

  /** out = op(a, b) with broadcasting; op: BINARY_OPS. */
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  /** out (0/1) = op(a, b) with broadcasting; op: COMPARE_OPS. */
  compare(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Uint8Array, outShape: number[]): void;
  /** out = cond ? a : b; cond has out's size or one entry per leading slice. */
  select(cond: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out = op(x); op: UNARY_OPS; alpha/beta: leaky slope, step value, clip bounds. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number, beta: number): void;
  /** out = x > 0 ? dy : 0 */
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  /** Reduces over axes (sorted, non-negative); false when the axis pattern is not one contiguous block. */
  reduce(op: number, x: Float32Array, shape: number[], axes: number[], out: Float32Array): boolean;
  /** c = act(op(a) x op(b) + bias); a [batchA,M,K] (transposed: [batchA,K,M]), b [batchB,K,N] (or [batchB,N,K]). */
  matmul(
    a: Float32Array, batchA: number, b: Float32Array, batchB: number, c: Float32Array, mkn: [number, number, number],
    transposeA: boolean, transposeB: boolean, bias: Float32Array | null, act: number, alpha: number,
  ): void;
  transpose(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  /** dst[dstBegin + i] = src[srcBegin + i] for i < size (per axis). */
  copyRegion(src: Float32Array, srcShape: number[], srcBegin: number[], dst: Float32Array, dstShape: number[], dstBegin: number[], size: number[]): void;
  fill(out: Float32Array, value: number): void;
  resizeBilinear(x: Float32Array, xShape: Shape4, y: Float32Array, yShape: Shape4, alignCorners: boolean, halfPixelCenters: boolean): void;
  /** The exact adjoint of resizeBilinear with the same flags. */
  resizeBilinearGrad(dy: Float32Array, dyShape: Shape4, dx: Float32Array, dxShape: Shape4, alignCorners: boolean, halfPixelCenters: boolean): void;
  /** tfjs FusedBatchNorm: parameters indexed at i % length. */
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null, epsilon: number, out: Float32Array): void;
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /** Per-channel mean and biased variance of x viewed as [rows, channels]. */
  bnMoments(x: Float32Array, channels: number, mean: Float32Array, variance: Float32Array): void;
  /** Closed-form training batch-norm backward (see src/core/ops/batchNormTrain/op.ts). */
  bnBackward(
    dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, channels: number,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;
  /** One Adam step (see src/core/ops/adamUpdate/op.ts); hyper = [lr, beta1, beta2, eps, weightDecay, step]. */
  adamUpdate(
    w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
    hyper: [number, number, number, number, number, number],
  ): void;
}

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, squaredDifference: 6, pow: 7 } as const;
export const COMPARE_OPS = { greater: 0, greaterEqual: 1, less: 2, lessEqual: 3, equal: 4, notEqual: 5 } as const;
export const UNARY_OPS = {
  relu: 0, leakyRelu: 1, sigmoid: 2, tanh: 3, exp: 4, log: 5, neg: 6, abs: 7, sqrt: 8, rsqrt: 9, square: 10,
  log1p: 11, elu: 12, relu6: 13, step: 14, reciprocal: 15, softplus: 16, sign: 17, expm1: 18, clip: 19,
} as const;
export const REDUCE_OPS = { sum: 0, mean: 1, max: 2, min: 3, prod: 4 } as const;

/** Fused activation codes understood by the addon. */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5,
};

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the squid-ts package root (with native/) above ' + fileURLToPath(import.meta.url));
}

let cached: NativeAddon | undefined;

/** Loads the addon or throws an Error saying why it is unavailable. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (process.env.SQUID_NATIVE_DISABLE === '1') throw new Error('disabled by SQUID_NATIVE_DISABLE=1');
  const root = repoRoot();
  const file = join(root, 'native', 'build', 'Release', 'squid_native.node');
  if (!existsSync(file)) {
    let why = 'native/build/Release/squid_native.node is missing';
    const status = join(root, 'native', 'build', 'status.json');
    if (existsSync(status)) {
      try {
        const s = JSON.parse(readFileSync(status, 'utf8')) as { ok?: boolean; reason?: string };
        if (s.ok === false && s.reason) why += ` (build: ${s.reason})`;
      } catch {
        // an unreadable status file adds nothing
      }
    } else {
      why += ' (run `npm run build:native`)';
    }
    throw new Error(why);
  }
  // libgomp reads its settings once, when it loads. An idle OpenMP worker
  // spins for GOMP_SPINCOUNT iterations (libgomp's documented default,
  // bounded: tens of ms) before it sleeps, so the next kernel after a few
  // microseconds of JavaScript finds it awake (OMP_WAIT_POLICY=PASSIVE,
  // sleeping at once, made inference slower: bench/README.md). A user's own
  // OMP_WAIT_POLICY / GOMP_SPINCOUNT win. The variable is removed again after
  // loading, so child processes (the PyTorch side of `npm run bench`) get the
  // user's environment.
  const setSpin = process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined;
  if (setSpin) process.env.GOMP_SPINCOUNT = '300000';
  const req = createRequire(import.meta.url);
  try {
    cached = req(file) as NativeAddon;
  } catch (err) {
    throw new Error(`cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    if (setSpin) delete process.env.GOMP_SPINCOUNT;
  }
  return cached;
}
