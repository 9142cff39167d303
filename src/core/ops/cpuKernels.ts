/**
 * JavaScript kernels of the fused ops for the 'cpu' backend (one loop each;
 * the native backend registers C++ versions under the same names).
 * Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  ADAM_UPDATE, BATCH_MOMENTS, BATCH_NORM_GRAD, CONV_ADD_RELU, LAYER_NORM, PER_IMAGE_NORM, RESIDUAL_BLOCK, SHRINK_TOP_K, SPARSE_READ,
} from './names.js';
import { layerNormCpu } from './layerNorm.js';
import { shrinkTopKCpu } from './shrinkTopK.js';
import { perImageNormCpu } from './perImageNorm.js';
import { convAddReluCpu } from './convAddRelu.js';
import { residualBlockCpu } from './residualBlock.js';
import { sparseReadCpu } from './sparseRead.js';
import type { AdamHyper } from './adamUpdate.js';

type Args = Parameters<tf.KernelFunc>[0];

function vals(args: Args, name: string): Float32Array {
  const t = (args.inputs as Record<string, tf.TensorInfo>)[name] as tf.TensorInfo;
  return (args.backend as MathBackendCPU).data.get(t.dataId).values as Float32Array;
}
function info(args: Args, name: string): tf.TensorInfo {
  return (args.inputs as Record<string, tf.TensorInfo>)[name] as tf.TensorInfo;
}

export function adamUpdateCpu(args: Args): tf.TensorInfo[] {
  const h = args.attrs as unknown as AdamHyper;
  const w = vals(args, 'w'), g = vals(args, 'g'), m = vals(args, 'm'), v = vals(args, 'v');
  const n = w.length;
  const wo = new Float32Array(n), mo = new Float32Array(n), vo = new Float32Array(n);
  const f = Math.fround;
  const b1 = f(h.beta1), b2 = f(h.beta2), ob1 = f(1 - h.beta1), ob2 = f(1 - h.beta2), wd = f(h.weightDecay), eps = f(h.epsilon);
  const bc2 = f(1 - h.beta2 ** h.step), stepSize = f(h.lr / (1 - h.beta1 ** h.step));
  for (let i = 0; i < n; i++) {
    const gi = wd !== 0 ? f(g[i]! + f(w[i]! * wd)) : g[i]!;
    const m1 = f(f(m[i]! * b1) + f(gi * ob1));
    const v1 = f(f(v[i]! * b2) + f(f(gi * gi) * ob2));
    const denom = f(f(Math.sqrt(f(v1 / bc2))) + eps);
    mo[i] = m1;
    vo[i] = v1;
    wo[i] = f(w[i]! - f(f(m1 / denom) * stepSize));
  }
  const be = args.backend as MathBackendCPU;
  const shape = [...info(args, 'w').shape];
  return [be.makeTensorInfo(shape, 'float32', wo), be.makeTensorInfo(shape, 'float32', mo), be.makeTensorInfo(shape, 'float32', vo)];
}

export function batchMomentsCpu(args: Args): tf.TensorInfo[] {
  const x = vals(args, 'x');
  const c = info(args, 'x').shape[3] as number;
  const rows = x.length / c;
  const mean = new Float64Array(c);
  const vr = new Float64Array(c);
  for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) mean[k]! += x[r * c + k]!;
  for (let k = 0; k < c; k++) mean[k]! /= rows;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < c; k++) {
      const d = x[r * c + k]! - mean[k]!;
      vr[k]! += d * d;
    }
  }
  const be = args.backend as MathBackendCPU;
  return [
    be.makeTensorInfo([c], 'float32', Float32Array.from(mean)),
    be.makeTensorInfo([c], 'float32', Float32Array.from(vr, (s) => s / rows)),
  ];
}

export function batchNormGradCpu(args: Args): tf.TensorInfo[] {
  const dy = vals(args, 'dy'), x = vals(args, 'x'), gamma = vals(args, 'gamma'), mu = vals(args, 'mean'), rs = vals(args, 'rstd');
  const shape = [...info(args, 'x').shape];
  const c = shape[3] as number;
  const rows = x.length / c;
  const sb = new Float64Array(c), sg = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < c; k++) {
      const i = r * c + k;
      sb[k]! += dy[i]!;
      sg[k]! += dy[i]! * (x[i]! - mu[k]!) * rs[k]!;
    }
  }
  const dx = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < c; k++) {
      const i = r * c + k;
      const xhat = (x[i]! - mu[k]!) * rs[k]!;
      dx[i] = gamma[k]! * rs[k]! * (dy[i]! - sb[k]! / rows - xhat * sg[k]! / rows);
    }
  }
  const be = args.backend as MathBackendCPU;
  return [
    be.makeTensorInfo(shape, 'float32', dx),
    be.makeTensorInfo([c], 'float32', Float32Array.from(sg)),
    be.makeTensorInfo([c], 'float32', Float32Array.from(sb)),
  ];
}

let installed = false;

/** Registers the cpu versions of the fused kernels (idempotent). */
export function installCpuFusedKernels(): void {
  if (installed) return;
  installed = true;
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (!tf.getKernel(kernelName, 'cpu')) tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  };
  reg(ADAM_UPDATE, adamUpdateCpu as tf.KernelFunc);
  reg(BATCH_MOMENTS, batchMomentsCpu as tf.KernelFunc);
  reg(BATCH_NORM_GRAD, batchNormGradCpu as tf.KernelFunc);
  reg(CONV_ADD_RELU, convAddReluCpu as tf.KernelFunc);
  reg(RESIDUAL_BLOCK, residualBlockCpu as tf.KernelFunc);
  reg(PER_IMAGE_NORM, perImageNormCpu as tf.KernelFunc);
  reg(LAYER_NORM, layerNormCpu as tf.KernelFunc);
  reg(SHRINK_TOP_K, shrinkTopKCpu as tf.KernelFunc); // native runs it too (same storage)
  reg(SPARSE_READ, sparseReadCpu as tf.KernelFunc);
}
