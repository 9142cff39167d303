/**
 * A heatmap figure at the scored file's own resolution: the file in grey
 * with the heatmap (computed at the model's size, then stretched back over
 * the whole image, as loading stretched the image to the model's size) laid
 * over it at half strength, a colour bar of the heatmap's scale on the
 * right, and the score, the threshold and the call written underneath.
 * Node only (sharp).
 */
import sharp from 'sharp';
import { resizeBilinear } from '../image/resize.js';
import { colorMap } from './heatmapImage.js';
import { escapeXml } from '../report/svg.js';

export interface FigureCaption {
  /** the file's name as shown */
  name: string;
  kind: string;
  heatmapKind: string;
  score: number;
  threshold: number;
  abnormal: boolean;
}

/** The file at its resolution in grey bytes (EXIF orientation honoured). */
async function greyAtOwnSize(bytes: Uint8Array): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .rotate()
    .removeAlpha()
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { grey: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** The margins' SVG: a vertical colour bar (0 at the bottom, 1 at the top) and the caption. */
function marginsSvg(width: number, height: number, strip: number, band: number, c: FigureCaption): string {
  const W = width + strip;
  const H = height + band;
  const font = Math.max(9, Math.round(band * 0.42));
  const barX = width + Math.round(strip * 0.2);
  const barW = Math.max(6, Math.round(strip * 0.25));
  const stops = Array.from({ length: 11 }, (_, i) => {
    const [r, g, b] = colorMap(1 - i / 10).map((v) => Math.round(255 * v));
    return `<stop offset="${i / 10}" stop-color="rgb(${r},${g},${b})"/>`;
  }).join('');
  const ticks = [1, 0.5, 0]
    .map((v) => `<text x="${barX + barW + 3}" y="${(4 + (1 - v) * (height - 8) + font * 0.35).toFixed(1)}">${v}</text>`)
    .join('');
  const call = `${c.kind} score ${c.score.toFixed(3)} ${c.abnormal ? '>=' : '<'} threshold ${c.threshold.toFixed(3)}: ${c.abnormal ? 'abnormal' : 'normal'}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="${font}">` +
    `<defs><linearGradient id="bar" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>` +
    `<rect x="${barX}" y="4" width="${barW}" height="${height - 8}" fill="url(#bar)" stroke="#333"/>${ticks}` +
    `<text x="4" y="${height + band * 0.45}">${escapeXml(`${c.name} · heatmap: ${c.heatmapKind}`)}</text>` +
    `<text x="4" y="${height + band * 0.9}" font-weight="bold">${escapeXml(call)}</text></svg>`;
}

/** The figure as PNG bytes: (width + colour-bar strip) x (height + caption band) of the file's own width and height. */
export async function heatmapFigure(fileBytes: Uint8Array, heatmap: ArrayLike<number>, size: number, caption: FigureCaption): Promise<Uint8Array> {
  const { grey, width, height } = await greyAtOwnSize(fileBytes);
  const heat = resizeBilinear(heatmap, size, size, width, height);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const g = (grey[i] as number) / 255;
    const c = colorMap(heat[i] as number);
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = Math.round(255 * (0.5 * g + 0.5 * (c[k] as number)));
  }
  const strip = Math.max(40, Math.round(0.08 * width));
  const band = Math.max(36, Math.round(0.08 * height));
  const png = await sharp(Buffer.from(rgb.buffer), { raw: { width, height, channels: 3 } })
    .extend({ right: strip, bottom: band, background: '#ffffff' })
    .composite([{ input: Buffer.from(marginsSvg(width, height, strip, band, caption)), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
