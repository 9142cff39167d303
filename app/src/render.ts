/** Drawing grey images and heatmap overlays onto canvases. */

/** Jet-like colour map for t in [0, 1]: blue -> cyan -> yellow -> red. */
export function heatColour(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, t));
  const r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 3)));
  const g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 2)));
  const b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 1)));
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

export function makeCanvas(size: number, label: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', label);
  return c;
}

/** Grey [0, 1] (size*size) onto a size x size canvas; optional heatmap blended at `opacity`. */
export function drawGrey(canvas: HTMLCanvasElement, grey: Float32Array, heat?: Float32Array, opacity = 0): void {
  const size = canvas.width;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(size, size);
  const a = Math.min(1, Math.max(0, opacity));
  for (let i = 0; i < size * size; i++) {
    const g = Math.round(Math.min(1, Math.max(0, grey[i] as number)) * 255);
    let r = g;
    let gg = g;
    let b = g;
    if (heat && a > 0) {
      const [hr, hg, hb] = heatColour(heat[i] as number);
      r = Math.round((1 - a) * g + a * hr);
      gg = Math.round((1 - a) * g + a * hg);
      b = Math.round((1 - a) * g + a * hb);
    }
    img.data[4 * i] = r;
    img.data[4 * i + 1] = gg;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
