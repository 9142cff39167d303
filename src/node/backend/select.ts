/**
 * Picks the TensorFlow.js backend for this process: `native` (our oneDNN
 * addon, Node only), `cpu` (plain tfjs-cpu), or `auto` (native when the addon
 * loads, else cpu; the reason is said once on stderr).
 */
import * as tf from '@tensorflow/tfjs-core';
// '@tensorflow/tfjs' (the union package) registers every gradient and the cpu
// backend in Node; tfjs-core alone registers no gradients.
import '@tensorflow/tfjs';
import { SquidError } from '../../core/util/errors.js';
import { installCpuFixes } from './cpuFixes.js';

installCpuFixes();

export type BackendChoice = 'auto' | 'native' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'cpu'];

export interface BackendInfo {
  /** Name registered with tfjs and now active. */
  name: string;
  /** Why native is not in use, when it is not. */
  fallbackReason?: string;
  /** Threads used by the native kernels (undefined on cpu). */
  threads?: number;
  /** oneDNN version string, when native. */
  onednnVersion?: string;
  /** oneDNN's CPU instruction set, when native (e.g. "avx512_core_bf16"). */
  cpuIsa?: string;
}

let active: BackendInfo | undefined;
let warned = false;

export function parseBackendChoice(value: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`--backend must be one of ${BACKEND_CHOICES.join(', ')}; got "${value}"`);
}

/** Activates a backend; idempotent for the same choice. */
export async function useBackend(choice: BackendChoice = 'auto', opts: { quiet?: boolean } = {}): Promise<BackendInfo> {
  if (active && (choice === 'auto' || active.name === choice)) return active;
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    silenceNodeBanner('cpu');
    active = { name: 'cpu' };
    return active;
  }
  let reason: string;
  try {
    const native = await import('./nativeBackend.js');
    const info = await native.registerNativeBackend();
    await tf.setBackend(info.name);
    silenceNodeBanner(info.name);
    silenceNodeBanner('cpu');
    active = info;
    return active;
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (choice === 'native') throw new SquidError(`native backend unavailable: ${reason}`);
  await tf.setBackend('cpu');
  silenceNodeBanner('cpu');
  active = { name: 'cpu', fallbackReason: reason };
  if (!warned && !opts.quiet) {
    warned = true;
    process.stderr.write(`squid: using the tfjs-cpu backend (slow): native backend unavailable: ${reason}\n`);
  }
  return active;
}

/**
 * tfjs-cpu prints a banner advising tfjs-node on its first tensor in Node;
 * this program chose its backend deliberately (squid doctor says which), so
 * the banner is switched off for the cpu-based backends.
 */
export function silenceNodeBanner(name: string): void {
  const backend = tf.findBackend(name) as { firstUse?: boolean } | null;
  if (backend && 'firstUse' in backend) backend.firstUse = false;
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}
