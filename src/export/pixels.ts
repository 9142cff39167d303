/**
 * Browser-safe pixel preparation that mirrors the Node loader
 * (src/image/load.ts, sharp) as closely as plain arrays allow:
 * RGBA 8-bit -> grayscale luminance (Rec. 709 weights in linear light,
 * sRGB re-encoded and rounded to 8 bits, as libvips' b-w colourspace) ->
 * squash to size x size with a triangle ("linear") filter, half-pixel
 * centres, widened by the shrink factor when downsampling (as libvips'
 * reduce). Known differences from sharp: sharp resizes the RGB channels
 * before the grey conversion (identical for grey inputs), may box-shrink
 * large factors first and rounds the resized result to 8 bits; 16-bit
 * images reach the browser as 8-bit; EXIF rotation is left to the browser.
 */

function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

function linearToSrgb(c: number): number {
  return c <= 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

const LUT = ((): Float64Array => {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) t[i] = srgbToLinear(i / 255);
  return t;
})();

/**
 * Grey [0, 1] from interleaved RGBA bytes (width*height*4). Pixels with
 * R = G = B keep their value exactly; alpha is ignored (as the Node loader).
 */
export function rgbaToGray(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const n = width * height;
  if (rgba.length !== n * 4) throw new RangeError(`rgbaToGray: ${rgba.length} bytes for ${width}x${height}x4`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i] as number;
    const g = rgba[4 * i + 1] as number;
    const b = rgba[4 * i + 2] as number;
    if (r === g && g === b) {
      out[i] = r / 255;
      continue;
    }
    const y = 0.2126 * (LUT[r] as number) + 0.7152 * (LUT[g] as number) + 0.0722 * (LUT[b] as number);
    out[i] = Math.round(Math.min(1, Math.max(0, linearToSrgb(y))) * 255) / 255;
  }
  return out;
}

/** Per output index: first source index and normalized weights of a 1-D triangle filter. */
function filterTaps(src: number, dst: number): { start: Int32Array; weights: Float64Array[] } {
  const scale = src / dst;
  const support = Math.max(1, scale); // tent half-width in source pixels
  const start = new Int32Array(dst);
  const weights: Float64Array[] = [];
  for (let o = 0; o < dst; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    const lo = Math.ceil(centre - support);
    const hi = Math.floor(centre + support);
    const w = new Float64Array(hi - lo + 1);
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const v = Math.max(0, 1 - Math.abs(s - centre) / support);
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
 * Squash a row-major grey image (sw x sh) to dw x dh with a separable
 * triangle filter (bilinear when enlarging, antialiased when shrinking);
 * samples beyond the border clamp to the edge. Same size: a copy.
 */
export function resizeTriangle(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (src.length !== sw * sh) throw new RangeError(`resizeTriangle: ${src.length} values for ${sw}x${sh}`);
  if (sw === dw && sh === dh) return Float32Array.from(src);
  const fx = filterTaps(sw, dw);
  const fy = filterTaps(sh, dh);
  // horizontal pass: sh x dw
  const tmp = new Float64Array(sh * dw);
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

/**
 * RGBA bytes -> grey [0, 1] at size x size (squash), as the Node loader's
 * default; resized values are rounded to 8 bits like sharp's 8-bit output.
 */
export function prepareRgba(rgba: ArrayLike<number>, width: number, height: number, size: number): Float32Array {
  const grey = rgbaToGray(rgba, width, height);
  if (width === size && height === size) return grey;
  const out = resizeTriangle(grey, width, height, size, size);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, out[i] as number)) * 255) / 255;
  return out;
}
