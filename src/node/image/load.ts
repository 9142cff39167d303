/**
 * Load image files (PNG 8/16-bit, JPEG, TIFF, WebP, anything sharp decodes)
 * into grayscale Float32 in [0, 1] at a requested square size. Node only.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError } from '../../core/util/errors.js';
import { preparePixels, type FitMode } from '../../core/image/pixels.js';

export { encodeGrayPng, encodeRgbPng, saveGrayPng, pngDataUri } from './encode.js';

export type { FitMode };

export interface LoadImageOptions {
  /** Output side in pixels (the result is size x size). */
  size: number;
  /** Default 'squash'. */
  fit?: FitMode;
}

/** A file that is missing, empty, corrupt, truncated or not a supported image. */
export class ImageLoadError extends InputError {
  constructor(
    path: string,
    /** The cause, in words (e.g. "truncated or corrupt image data"). */
    readonly reason: string,
  ) {
    super(path, `cannot load image: ${reason}`);
    this.name = 'ImageLoadError';
  }
}

/** File name extensions the dataset loaders treat as images (lower case, with dot). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

/** Whether a file name has one of IMAGE_EXTENSIONS (any case). */
export function isImageFile(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/** sharp's default limitInputPixels (0x3FFF * 0x3FFF). */
const SHARP_PIXEL_LIMIT = 0x3fff * 0x3fff;

function describeSharpError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) return 'not a supported image format';
  if (/pixel limit/i.test(msg)) return `larger than the image decoder's limit of ${SHARP_PIXEL_LIMIT} pixels (about 16383 x 16383); downscale it first`;
  if (/premature end|truncat|not enough data|end of (input|file)|read error|out of order|corrupt header/i.test(msg)) {
    return `truncated or corrupt image data (${msg.split('\n')[0]})`;
  }
  return `corrupt or unreadable image (${msg.split('\n')[0]})`;
}

/** Luminance weights (ITU-R BT.601 on the gamma-encoded values, as PIL's convert('L')). */
/**
 * Decode image bytes into grayscale [0, 1]: size*size values, row-major.
 * sharp decodes the file at its own resolution (EXIF orientation honoured,
 * 16-bit inputs kept 16-bit); the rest is src/core/image/pixels.ts's
 * preparePixels, the same code the browser app runs, so a file gets the
 * same pixels, and the same score, in both. `path` only names the source in
 * errors.
 */
export async function decodeImage(bytes: Uint8Array, path: string, opts: LoadImageOptions): Promise<Float32Array> {
  const size = opts.size;
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`image size must be a positive integer, got ${size}`);
  if (bytes.length === 0) throw new ImageLoadError(path, 'empty file');
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const meta = await sharp(input, { failOn: 'error' }).metadata();
    const deep = meta.depth === 'ushort' || meta.depth === 'short' || meta.depth === 'uint' || meta.depth === 'float';
    const grey = (meta.channels ?? 3) <= 2; // grey, or grey and alpha: one plane instead of three equal ones
    const pipeline = sharp(input, { failOn: 'error' })
      .rotate() // honour EXIF orientation
      .removeAlpha()
      .toColourspace(grey ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb');
    const { data, info } = await pipeline.raw(deep ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    if (info.channels !== (grey ? 1 : 3)) throw new Error(`unexpected decoded layout ${info.width}x${info.height}x${info.channels}`);
    const values: ArrayLike<number> = deep
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
      : data;
    return preparePixels({ data: values, width: info.width, height: info.height, channels: grey ? 1 : 3, maxValue: deep ? 65535 : 255 }, size, opts.fit ?? 'squash');
  } catch (err) {
    if (err instanceof ImageLoadError) throw err;
    throw new ImageLoadError(path, describeSharpError(err));
  }
}

/**
 * Load an image file as grayscale [0, 1], size*size values, row-major.
 * Throws ImageLoadError (naming the file and the cause) for a missing,
 * empty, corrupt, truncated or unsupported file.
 */
export async function loadImage(path: string, opts: LoadImageOptions): Promise<Float32Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ImageLoadError(path, code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder' : String(err));
  }
  return decodeImage(bytes, path, opts);
}
