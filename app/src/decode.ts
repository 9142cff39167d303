/**
 * Browser image decoding: a PNG/JPEG File -> grey [0, 1] at the model's
 * size, matching the Node loader as closely as possible (see
 * src/export/pixels.ts for what differs).
 */
import { prepareRgba } from '../../src/core/index.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** size*size row-major grey in [0, 1]. */
  pixels: Float32Array;
}

export async function decodeImageFile(file: File, size: number): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    // Raw sample values: no colour management, no premultiplication.
    bitmap = await createImageBitmap(file, {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
      imageOrientation: 'from-image',
    });
  } catch {
    throw new Error('cannot decode: not a PNG/JPEG image, or the file is corrupt');
  }
  const { width, height } = bitmap;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { width, height, pixels: prepareRgba(rgba, width, height, size) };
}
