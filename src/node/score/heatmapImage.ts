/**
 * One RGB picture per scored image: input | reconstruction | heatmap over
 * the input (a blue-to-red colour map blended at half strength).
 * Browser-safe (pixels only; PNG encoding is the caller's).
 */

/** A blue-cyan-yellow-red colour map of v in [0, 1] (jet-like). */
export function colorMap(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  const r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3)));
  const g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2)));
  const b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1)));
  return [r, g, b];
}

export const PANEL_GAP = 2;

/** The heatmap laid over the grey input at half strength: interleaved RGB bytes of size x size. */
export function heatmapOverlay(input: ArrayLike<number>, heatmap: ArrayLike<number>, size: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const g = input[i] as number;
    const c = colorMap(heatmap[i] as number);
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = byte(0.5 * g + 0.5 * (c[k] as number));
  }
  return rgb;
}

function byte(v: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
}

/** Three panels side by side with a gap: width 3S + 2 gaps, height S; interleaved RGB bytes. */
export function heatmapPanels(
  input: ArrayLike<number>,
  reconstruction: ArrayLike<number>,
  heatmap: ArrayLike<number>,
  size: number,
): { rgb: Uint8Array; width: number; height: number } {
  const width = 3 * size + 2 * PANEL_GAP;
  const rgb = new Uint8Array(width * size * 3).fill(255);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const g = input[i] as number;
      const rc = reconstruction[i] as number;
      const [cr, cg, cb] = colorMap(heatmap[i] as number);
      const put = (panel: number, r: number, gg: number, b: number) => {
        const o = (y * width + panel * (size + PANEL_GAP) + x) * 3;
        rgb[o] = byte(r);
        rgb[o + 1] = byte(gg);
        rgb[o + 2] = byte(b);
      };
      put(0, g, g, g);
      put(1, rc, rc, rc);
      put(2, 0.5 * g + 0.5 * cr, 0.5 * g + 0.5 * cg, 0.5 * g + 0.5 * cb);
    }
  }
  return { rgb, width, height: size };
}
