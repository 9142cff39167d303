/** SquidAdamUpdate on the native backend (src/core/ops/adamUpdate/op.ts), and the in-place step the optimizer takes where it can. */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../../native/addon.js';
import { alloc, f32, isF32, output, size } from '../../native/storage.js';
import { need, type NativeKernel } from '../types.js';
import { ADAM_UPDATE, type AdamHyper, type InPlaceAdam } from '../../../../core/ops/adamUpdate/op.js';

/** The addon's hyper-parameter array: [lr, beta1, beta2, eps, weightDecay, step]. */
function adamHyperArray(h: AdamHyper): [number, number, number, number, number, number] {
  return [h.lr, h.beta1, h.beta2, h.epsilon, h.weightDecay, h.step];
}

export function adamUpdateKernel(addon: NativeAddon): NativeKernel {
  return {
  kernelName: ADAM_UPDATE,
  run(args) {
    const ts = ['w', 'g', 'm', 'v'].map((k) => need(args, k));
    const w = ts[0]!;
    if (!ts.every(isF32) || !ts.every((t) => tf.util.arraysEqual(t.shape, w.shape))) return null;
    const h = args.attrs as unknown as AdamHyper;
    const be = args.backend as MathBackendCPU;
    const n = size(w.shape);
    const [wo, mo, vo] = [alloc(n), alloc(n), alloc(n)];
    const [wv, gv, mv, vv] = ts.map((t) => f32(be, t));
    addon.adamUpdate(wv!, gv!, mv!, vv!, wo, mo, vo, adamHyperArray(h));
    return [output(be, [...w.shape], wo), output(be, [...w.shape], mo), output(be, [...w.shape], vo)];
  },
};
}

/**
 * In-place Adam on the native backend: writes the step into the Float32Array
 * storage of w, m and v when each is held by exactly one tensor (the variable,
 * the optimizer's moments); a clone taken for a checkpoint shares storage and
 * sends the step down the functional path instead.
 */
export function nativeInPlaceAdam(addon: NativeAddon, backendName: string): InPlaceAdam {
  return (w, g, m, v, h) => {
    if (tf.getBackend() !== backendName) return false;
    const ts = [w, g, m, v];
    if (!ts.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, w.shape))) return false;
    const be = tf.backend() as MathBackendCPU;
    if ([w, m, v].some((t) => be.refCount(t.dataId) !== 1)) return false;
    const vals = ts.map((t) => be.data.get(t.dataId).values);
    if (!vals.every((x) => x instanceof Float32Array)) return false;
    const [wv, gv, mv, vv] = vals as Float32Array[];
    if (new Set([wv!.buffer, mv!.buffer, vv!.buffer]).size !== 3) return false;
    addon.adamUpdate(wv!, gv!, mv!, vv!, wv!, mv!, vv!, adamHyperArray(h));
    return true;
  };
}
