/**
 * Pixel preparation on plain arrays, one definition for Node and the
 * browser (preparePixels): decoded R, G, B at the image's own resolution ->
 * each resized to size x size ("linear" kernel, rounded back to its bit
 * depth) -> grey = 0.299 R + 0.587 G + 0.114 B on the gamma-encoded values
 * (grey pixels, R = G = B, keep their value exactly); alpha is dropped, not
 * composited. Only decoding differs between the two (sharp's libjpeg-turbo
 * and libpng, or the browser's; EXIF rotation is each one's own).
 *
 * Resampling, per axis, as measured on sharp 0.35 / libvips with
 * kernel 'linear': shrinking by a factor f box-averages floor(f / 2) x
 * floor(f / 2) blocks first when that is 2 or more, then applies a triangle
 * filter widened by the remaining factor, half-pixel centres; enlarging
 * interpolates linearly at source position x * (src / dst) - 0.5, edges
 * clamped (the geometry of libvips' 'linear' kernel, which the Node loader
 * used before this file became the one definition). 16-bit PNGs keep 16
 * bits in Node and reach the browser as 8-bit.
 */

const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

interface Taps {
  start: Int32Array;
  weights: Float64Array[];
}

/** 1-D resampling taps from `src` samples to `dst` samples (see the header for the geometry). */
function filterTaps(src: number, dst: number, scale = src / dst): Taps {
  const start = new Int32Array(dst);
  const weights: Float64Array[] = [];
  for (let o = 0; o < dst; o++) {
    if (scale < 1) {
      const pos = Math.min(src - 1, Math.max(0, o * scale - 0.5));
      const i0 = Math.floor(pos);
      const f = pos - i0;
      start[o] = i0;
      weights.push(Float64Array.of(1 - f, f));
      continue;
    }
    const centre = (o + 0.5) * scale - 0.5;
    const lo = Math.ceil(centre - scale);
    const hi = Math.floor(centre + scale);
    const w = new Float64Array(hi - lo + 1);
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const v = Math.max(0, 1 - Math.abs(s - centre) / scale);
      w[s - lo] = v;
      sum += v;
    }
    for (let k = 0; k < w.length; k++) w[k] = (w[k] as number) / sum;
    start[o] = lo;
    weights.push(w);
  }
  return { start, weights };
}

/**
 * Squash a row-major single-channel image (sw x sh) to dw x dh (see the
 * header for the filter); samples beyond the border clamp to the edge.
 * Same size: a copy.
 */
export function resizeLinear(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (src.length !== sw * sh) throw new RangeError(`resizeLinear: ${src.length} values for ${sw}x${sh}`);
  if (sw === dw && sh === dh) return Float32Array.from(src);
  // libvips first box-shrinks by floor(factor / 2) when that is 2 or more
  const kx = Math.max(1, Math.floor(sw / dw / 2));
  const ky = Math.max(1, Math.floor(sh / dh / 2));
  if (kx > 1 || ky > 1) {
    const b = boxShrink(src, sw, sh, kx, ky);
    return reduce(b.data, b.width, b.height, dw, dh, sw / dw / kx, sh / dh / ky);
  }
  return reduce(src, sw, sh, dw, dh, sw / dw, sh / dh);
}

/** Averages kx x ky blocks; a partial last block averages the pixels it has. */
function boxShrink(src: ArrayLike<number>, sw: number, sh: number, kx: number, ky: number): { data: Float64Array; width: number; height: number } {
  const width = Math.ceil(sw / kx);
  const height = Math.ceil(sh / ky);
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      let n = 0;
      for (let yy = y * ky; yy < Math.min(sh, (y + 1) * ky); yy++) {
        for (let xx = x * kx; xx < Math.min(sw, (x + 1) * kx); xx++) {
          acc += src[yy * sw + xx] as number;
          n++;
        }
      }
      data[y * width + x] = acc / n;
    }
  }
  return { data, width, height };
}

function reduce(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number, scaleX: number, scaleY: number): Float32Array {
  const fx = filterTaps(sw, dw, scaleX);
  const fy = filterTaps(sh, dh, scaleY);
  const tmp = new Float64Array(sh * dw); // horizontal pass: sh x dw
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      const w = fx.weights[x] as Float64Array;
      const s0 = fx.start[x] as number;
      let acc = 0;
      for (let k = 0; k < w.length; k++) {
        const sx = Math.min(sw - 1, Math.max(0, s0 + k));
        acc += (w[k] as number) * (src[y * sw + sx] as number);
      }
      tmp[y * dw + x] = acc;
    }
  }
  const out = new Float32Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    const w = fy.weights[y] as Float64Array;
    const s0 = fy.start[y] as number;
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = 0; k < w.length; k++) {
        const sy = Math.min(sh - 1, Math.max(0, s0 + k));
        acc += (w[k] as number) * (tmp[sy * dw + x] as number);
      }
      out[y * dw + x] = acc;
    }
  }
  return out;
}

/** How a non-square image becomes square: stretch to size x size ('squash', the reference), or keep the aspect ratio, fit inside and pad with black, centred ('pad'). */
export type FitMode = 'squash' | 'pad';

/** Decoded pixels at their own resolution: `channels` interleaved values per pixel (grey, RGB or RGBA; alpha is dropped, not composited), each in [0, maxValue]. */
export interface DecodedPixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** 255 for 8-bit images, 65535 for 16-bit ones. */
  maxValue: number;
}

/**
 * The one preprocessing of squid-ts, in Node (src/node/image/load.ts, after
 * sharp decodes the file) and in the browser (after the canvas decodes it):
 * each of R, G, B resized to the target (resizeLinear) and rounded back to
 * its bit depth, then grey = 0.299 R + 0.587 G + 0.114 B on the
 * gamma-encoded values (grey pixels, R = G = B, keep their value exactly),
 * in [0, 1]. -> size*size values, row-major.
 */
export function preparePixels(img: DecodedPixels, size: number, fit: FitMode = 'squash'): Float32Array {
  const { data, width, height, channels, maxValue } = img;
  const n = width * height;
  if (data.length !== n * channels) throw new RangeError(`preparePixels: ${data.length} values for ${width}x${height}x${channels}`);
  const scale = Math.min(size / width, size / height);
  const [dw, dh] = fit === 'pad' ? [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))] : [size, size];
  const resized = (c: number): Float32Array => {
    const plane = new Float32Array(n);
    for (let i = 0; i < n; i++) plane[i] = data[channels * i + c] as number;
    if (width === dw && height === dh) return plane;
    const r = resizeLinear(plane, width, height, dw, dh);
    for (let i = 0; i < r.length; i++) r[i] = Math.min(maxValue, Math.max(0, Math.round(r[i] as number)));
    return r;
  };
  const R = resized(0);
  // a grey image is one plane: R = G = B, as three equal planes would give
  const [G, B] = channels === 1 ? [R, R] : [resized(1), resized(2)];
  const out = new Float32Array(size * size); // black where 'pad' leaves a border
  const x0 = Math.floor((size - dw) / 2);
  const y0 = Math.floor((size - dh) / 2);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const i = y * dw + x;
      const r = R[i] as number;
      const g = G[i] as number;
      const b = B[i] as number;
      out[(y0 + y) * size + x0 + x] = r === g && g === b ? r / maxValue : (LUMA_R * r + LUMA_G * g + LUMA_B * b) / maxValue;
    }
  }
  return out;
}

/** RGBA bytes (width*height*4, what a canvas gives) -> grey [0, 1] at size x size (squash): preparePixels. */
export function prepareRgba(rgba: ArrayLike<number>, width: number, height: number, size: number): Float32Array {
  return preparePixels({ data: rgba, width, height, channels: 4, maxValue: 255 }, size);
}
