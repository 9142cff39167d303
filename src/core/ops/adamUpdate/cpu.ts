/** The JavaScript kernel of adamUpdate for the 'cpu' backend (registered in ../registry.ts). Browser-safe. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { inputOf, valuesOf, type KernelArgs } from '../cpuArgs.js';
import type { AdamHyper } from './op.js';

export function adamUpdateCpu(args: KernelArgs): tf.TensorInfo[] {
  const h = args.attrs as unknown as AdamHyper;
  const w = valuesOf(args, 'w'), g = valuesOf(args, 'g'), m = valuesOf(args, 'm'), v = valuesOf(args, 'v');
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
  const shape = [...inputOf(args, 'w').shape];
  return [be.makeTensorInfo(shape, 'float32', wo), be.makeTensorInfo(shape, 'float32', mo), be.makeTensorInfo(shape, 'float32', vo)];
}
