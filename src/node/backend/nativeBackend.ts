/**
 * The `native` tfjs backend: the tfjs CPU backend (same Float32Array
 * storage) whose heavy kernels run in the oneDNN addon. Every kernel
 * registered for 'cpu' is registered for 'native' too, so anything without a
 * native version runs the CPU backend's JavaScript; a native kernel that
 * declines a call (unsupported dtype, layout or attribute) also falls back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendInfo } from './select.js';
import { installLeanBackprop } from '../../core/tfjs/leanBackprop.js';
import { loadAddon, type NativeAddon } from './native/addon.js';
import { hold, isPooled, release, setResidentBound } from './native/storage.js';
import type { Workload } from '../../core/ops/hints.js';
import { forgetConstant, isEvicted, markConstant, onConstantReleased } from './native/constantFilters.js';
import { convKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { reduceKernels } from './kernels/reduce.js';
import { matmulKernels } from './kernels/matmul.js';
import { layoutKernels } from './kernels/layout.js';
import { resizeKernels } from './kernels/resize.js';
import { batchnormKernels } from './kernels/batchnorm.js';
import { customKernels } from './kernels/custom/index.js';
import { nativeInPlaceAdam } from './kernels/custom/adamUpdate.js';
import { setInPlaceAdam } from '../../core/ops/adamUpdate/op.js';
import { installGradientOverrides } from './kernels/gradients.js';
import { installCpuFusedKernels } from '../../core/ops/registry.js';
import type { NativeKernel } from './kernels/types.js';

export const NATIVE_BACKEND = 'native';

/**
 * The CPU backend under another name: tensors it stores are shared with the
 * native kernels. It tracks which tensors hold recycled output buffers
 * (native/storage.ts) so a buffer is reused only when no tensor holds it.
 */
export class NativeBackend extends MathBackendCPU {
  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    hold(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    hold(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  /** Copies recycled buffers, so arrays from dataSync() stay valid after dispose. */
  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    return isPooled(v) ? v.slice() : v;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const had = this.data.has(dataId);
    // an evicted constant filter has no array of its own (reading `values` would bring it back)
    const values = had && !isEvicted(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (had && !this.data.has(dataId)) {
      forgetConstant(dataId);
      if (values !== undefined) release(values);
    }
    return released;
  }

  /** See src/core/ops/hints.ts: the resident bound of free output buffers is for training. */
  hintWorkload(kind: Workload): void {
    setResidentBound(kind === 'training');
  }

  /** See src/core/ops/hints.ts: the convolution keeps such a filter prepared (native/constantFilters.ts). */
  hintConstant(dataId: tf.DataId): void {
    if (this.data.has(dataId)) markConstant(dataId);
  }
}

/** All native kernels, by family. */
export function nativeKernels(addon: NativeAddon): NativeKernel[] {
  return [
    ...convKernels(addon), ...elementwiseKernels(addon), ...reduceKernels(addon), ...matmulKernels(addon),
    ...layoutKernels(addon), ...resizeKernels(addon), ...batchnormKernels(addon),
    ...customKernels(addon),
  ];
}

let registered: BackendInfo | undefined;
let nativeNames: string[] = [];

/** Per native kernel: calls it ran natively and calls it handed to tfjs-cpu. */
export interface KernelCallCount {
  native: number;
  fallback: number;
}
const callCounts = new Map<string, KernelCallCount>();

/** Calls of each native kernel since the last reset (for tests and profiles). */
export function nativeCallCounts(reset = false): Map<string, KernelCallCount> {
  const snapshot = new Map([...callCounts].map(([k, v]) => [k, { ...v }]));
  if (reset) callCounts.clear();
  return snapshot;
}

/** Names of the kernels that have a native implementation. */
export function nativeKernelNames(): readonly string[] {
  return nativeNames;
}

export async function registerNativeBackend(): Promise<BackendInfo> {
  if (registered) return registered;
  const addon = loadAddon();
  const info = addon.info();
  // '@tensorflow/tfjs' (imported by select.ts) has registered the cpu kernels; the custom ops'
  // JavaScript kernels join them (the native kernels' fallback and test reference)
  installCpuFusedKernels();
  const cpuKernels = tf.getKernelsForBackend('cpu');
  if (cpuKernels.length === 0) throw new Error('the tfjs cpu backend has no kernels registered');
  // SQUID_NATIVE_KERNELS=Conv2D,Conv2DBackpropInput,... keeps only those native (profiling before/after).
  const only = process.env.SQUID_NATIVE_KERNELS?.split(',').map((s) => s.trim()).filter(Boolean);
  const natives = new Map(
    nativeKernels(addon).filter((k) => !only || only.includes(k.kernelName)).map((k) => [k.kernelName, k]),
  );
  const cpuByName = new Map(cpuKernels.map((k) => [k.kernelName, k]));
  if (!tf.findBackendFactory(NATIVE_BACKEND)) {
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 1);
  }
  for (const k of cpuKernels) {
    if (natives.has(k.kernelName)) continue;
    tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  }
  for (const [name, nk] of natives) {
    const cpu = cpuByName.get(name);
    tf.registerKernel({
      kernelName: name,
      backendName: NATIVE_BACKEND,
      kernelFunc: (args) => {
        let count = callCounts.get(name);
        if (!count) callCounts.set(name, (count = { native: 0, fallback: 0 }));
        const r = nk.run(args);
        if (r !== null) {
          count.native++;
          return r;
        }
        count.fallback++;
        if (!cpu) throw new Error(`native kernel ${name} declined its inputs and tfjs-cpu has no ${name}`);
        return cpu.kernelFunc(args);
      },
      setupFunc: cpu?.setupFunc,
      disposeFunc: cpu?.disposeFunc,
    });
  }
  installGradientOverrides();
  installLeanBackprop(process.env.SQUID_LEAN_BACKPROP !== '0');
  setInPlaceAdam(nativeInPlaceAdam(addon, NATIVE_BACKEND));
  onConstantReleased((id) => addon.releaseConstantFilter(id));
  nativeNames = [...natives.keys()].sort();
  registered = { name: NATIVE_BACKEND, threads: info.threads, onednnVersion: info.onednn, cpuIsa: info.cpuIsa };
  return registered;
}
