/**
 * Shared by the native*.test.ts files: registers the native backend (or says
 * why the tests skip), runs one computation on 'cpu' and on 'native' from the
 * same inputs, and compares the results.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../../src/node/backend/select.js';
import { nativeCallCounts, registerNativeBackend } from '../../../src/node/backend/nativeBackend.js';
import { Rng } from '../../../src/core/util/rng.js';

/** false when the native backend is ready; otherwise the reason to skip. */
export async function nativeSkipReason(): Promise<string | false> {
  await useBackend('cpu', { quiet: true });
  try {
    await registerNativeBackend();
    return false;
  } catch (err) {
    const why = `native addon unavailable: ${err instanceof Error ? err.message : String(err)}`;
    process.stdout.write(`# skipping native tests: ${why}\n`);
    return why;
  }
}

export interface Input {
  shape: number[];
  data: Float32Array;
}

export function randomInput(rng: Rng, shape: number[], lo = -1, hi = 1): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(lo, hi);
  return { shape, data };
}

export type Computation = (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[];

/** Runs fn on one backend; returns every output's values and shape. */
export async function runOn(
  backend: string, inputs: Record<string, Input>, fn: Computation,
): Promise<{ shape: number[]; data: Float32Array }[]> {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data.slice(), v.shape, 'float32');
  const out = tf.tidy(() => {
    const r = fn(ts);
    return Array.isArray(r) ? r : [r];
  });
  const res = out.map((t) => ({ shape: t.shape.slice(), data: Float32Array.from(t.dataSync()) }));
  tf.dispose(out);
  tf.dispose(Object.values(ts));
  return res;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] ?? 0));
  return m;
}

/** Asserts max |a - b| <= rtol * max |b| + atol (tiny floor for all-zero references). */
export function assertClose(actual: Float32Array, expected: Float32Array, rtol: number, label: string, atol = 0): number {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let err = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs((actual[i] ?? 0) - (expected[i] ?? 0));
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  const scale = Math.max(maxAbs(expected), 1e-6);
  assert.ok(err <= rtol * scale + atol, `${label}: max abs error ${err.toExponential(3)} > ${rtol} x ${scale.toExponential(3)} + ${atol}`);
  return err / scale;
}

/** Runs fn on cpu and on native and compares each output. */
export async function compareBackends(
  label: string, inputs: Record<string, Input>, fn: Computation, rtol = 1e-4,
): Promise<void> {
  const ref = await runOn('cpu', inputs, fn);
  const got = await runOn('native', inputs, fn);
  assert.equal(got.length, ref.length, `${label}: output count`);
  ref.forEach((r, i) => {
    assert.deepEqual(got[i]?.shape, r.shape, `${label}: output ${i} shape`);
    assertClose(got[i]?.data ?? new Float32Array(), r.data, rtol, `${label}: output ${i}`);
  });
}

/** Asserts that each named kernel ran natively (not via the tfjs-cpu fallback) since the last call. */
export function assertRanNatively(kernels: string[], label: string): void {
  const counts = nativeCallCounts(true);
  for (const k of kernels) {
    const c = counts.get(k);
    assert.ok(c && c.native > 0, `${label}: ${k} did not run natively (${JSON.stringify(c ?? null)})`);
    assert.equal(c.fallback, 0, `${label}: ${k} fell back to tfjs-cpu ${c.fallback} times`);
  }
}
