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

/** The caption's lines: the file, the call, the heatmap's kind. */
function captionLines(c: FigureCaption): string[] {
  const call = `${c.kind} ${c.score.toFixed(3)} ${c.abnormal ? '>=' : '<'} threshold ${c.threshold.toFixed(3)}: ${c.abnormal ? 'abnormal' : 'normal'}`;
  return [c.name, call, `heatmap: ${c.heatmapKind} (colour bar: 0 to 1)`];
}

/** Margins sized to the image: a colour-bar strip and a caption band whose font fits the width. */
function layout(width: number, height: number, lines: string[]): { strip: number; band: number; font: number } {
  const strip = Math.max(40, Math.round(0.08 * width));
  const longest = Math.max(...lines.map((l) => l.length));
  // DejaVu Sans averages ~0.6 em per character
  const font = Math.max(8, Math.min(Math.round(0.03 * height) + 8, Math.floor((width + strip - 8) / (0.6 * longest))));
  return { strip, band: Math.ceil(lines.length * font * 1.3 + 6), font };
}

/** The margins' SVG: a vertical colour bar (0 at the bottom, 1 at the top) and the caption. */
function marginsSvg(width: number, height: number, m: { strip: number; band: number; font: number }, lines: string[]): string {
  const { strip, band, font } = m;
  const barX = width + Math.round(strip * 0.15);
  const barW = Math.max(6, Math.round(strip * 0.22));
  const stops = Array.from({ length: 11 }, (_, i) => {
    const [r, g, b] = colorMap(1 - i / 10).map((v) => Math.round(255 * v));
    return `<stop offset="${i / 10}" stop-color="rgb(${r},${g},${b})"/>`;
  }).join('');
  const tickFont = Math.max(8, Math.min(font, Math.floor((strip - barW - 8) / 1.9)));
  const ticks = [1, 0.5, 0]
    .map((v) => `<text x="${barX + barW + 2}" y="${(4 + (1 - v) * (height - 8) + tickFont * 0.35).toFixed(1)}" font-size="${tickFont}">${v}</text>`)
    .join('');
  const text = lines
    .map((l, i) => `<text x="4" y="${(height + 3 + font * 1.3 * (i + 0.8)).toFixed(1)}"${i === 1 ? ' font-weight="bold"' : ''}>${escapeXml(l)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + strip}" height="${height + band}" font-family="DejaVu Sans, sans-serif" font-size="${font}">` +
    `<defs><linearGradient id="bar" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>` +
    `<rect x="${barX}" y="4" width="${barW}" height="${height - 8}" fill="url(#bar)" stroke="#333"/>${ticks}${text}</svg>`;
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
  const lines = captionLines(caption);
  const m = layout(width, height, lines);
  const png = await sharp(Buffer.from(rgb.buffer), { raw: { width, height, channels: 3 } })
    .extend({ right: m.strip, bottom: m.band, background: '#ffffff' })
    .composite([{ input: Buffer.from(marginsSvg(width, height, m, lines)), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
