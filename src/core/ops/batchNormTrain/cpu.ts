/** The JavaScript kernels of batchNormTrain (batch moments, backward pass) for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { inputOf, valuesOf, type KernelArgs } from '../cpuArgs.js';

export function batchMomentsCpu(args: KernelArgs): tf.TensorInfo[] {
  const x = valuesOf(args, 'x');
  const c = inputOf(args, 'x').shape[3] as number;
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

export function batchNormGradCpu(args: KernelArgs): tf.TensorInfo[] {
  const dy = valuesOf(args, 'dy'), x = valuesOf(args, 'x'), gamma = valuesOf(args, 'gamma'), mu = valuesOf(args, 'mean'), rs = valuesOf(args, 'rstd');
  const shape = [...inputOf(args, 'x').shape];
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
