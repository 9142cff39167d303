/**
 * Pure-JS grayscale resampling (browser-safe): bilinear resize with
 * half-pixel centres (not align-corners), edge pixels clamped.
 */

/**
 * Resize a row-major grayscale image src (sh x sw) to dh x dw, bilinear,
 * half-pixel centres; samples outside the source clamp to the edge.
 * Returns a new Float32Array of dh*dw.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Float32Array {
  if (src.length !== sw * sh) throw new RangeError(`resizeBilinear: source has ${src.length} values, expected ${sw}x${sh}`);
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    if (fy > sh - 1) fy = sh - 1;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      if (fx > sw - 1) fx = sw - 1;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const top = (src[y0 * sw + x0] as number) * (1 - wx) + (src[y0 * sw + x1] as number) * wx;
      const bot = (src[y1 * sw + x0] as number) * (1 - wx) + (src[y1 * sw + x1] as number) * wx;
      out[y * dw + x] = top * (1 - wy) + bot * wy;
    }
  }
  return out;
}

/** Mirror a row-major h x w image left-right (horizontal) or top-bottom (vertical). New array. */
export function flipImage(src: ArrayLike<number>, w: number, h: number, axis: 'horizontal' | 'vertical'): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = axis === 'horizontal' ? w - 1 - x : x;
      const sy = axis === 'vertical' ? h - 1 - y : y;
      out[y * w + x] = src[sy * w + sx] as number;
    }
  }
  return out;
}
