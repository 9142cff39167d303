/** Encode grayscale / RGB pixel buffers as PNG (sharp). Node only. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';

/** Clamp [0, 1] floats to 8-bit. data: h*w row-major. */
export function toUint8Gray(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    out[i] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0; // NaN -> 0
  }
  return out;
}

/**
 * Encode a grayscale image (values in [0, 1], clamped; row-major height*width)
 * as an 8-bit single-channel PNG in memory.
 */
export async function encodeGrayPng(data: ArrayLike<number>, width: number, height: number): Promise<Uint8Array> {
  if (data.length !== width * height) {
    throw new RangeError(`encodeGrayPng: ${data.length} values for ${width}x${height}`);
  }
  const buf = await sharp(Buffer.from(toUint8Gray(data).buffer), { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Encode an 8-bit RGB image (interleaved, row-major height*width*3) as PNG
 * in memory (e.g. colour heatmaps).
 */
export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  if (rgb.length !== width * height * 3) throw new RangeError(`encodeRgbPng: ${rgb.length} bytes for ${width}x${height}x3`);
  const buf = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Write a grayscale [0, 1] image as an 8-bit PNG file (creates parent folders). */
export async function saveGrayPng(path: string, data: ArrayLike<number>, width: number, height: number): Promise<void> {
  const png = await encodeGrayPng(data, width, height);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, png);
}

/** A data: URI for PNG bytes (for self-contained HTML). */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}
