/**
 * Weight quantization in the TF.js weights-manifest convention (the
 * `quantization` field of a manifest entry, which tf.io.decodeWeights
 * undoes): float16 (IEEE half, round to nearest even), or uint8 per tensor
 * (value = q * scale + min, 256 levels between the tensor's min and max).
 * Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs-core';

export type Quantization = 'float16' | 'uint8';
export const QUANTIZATIONS: readonly Quantization[] = ['float16', 'uint8'];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE half-precision bits of x (round to nearest even; overflow to infinity, NaN kept). */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf, NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    if (e < -10) return sign; // too small: zero
    const m = mant | 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1) === 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** values quantized as `q`: the bytes, and the manifest's quantization field. */
export function quantize(values: Float32Array, q: Quantization): { bytes: Uint8Array; quantization: tf.io.WeightsManifestEntry['quantization'] } {
  if (q === 'float16') {
    const half = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) half[i] = toFloat16Bits(values[i] as number);
    return { bytes: new Uint8Array(half.buffer), quantization: { dtype: 'float16' } };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) [min, max] = [0, 0];
  const scale = max > min ? (max - min) / 255 : 1;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.round(((values[i] as number) - min) / scale);
  return { bytes, quantization: { dtype: 'uint8', min, scale } };
}
