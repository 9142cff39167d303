/** Image loading (sharp, Node), PNG encoding, and pure-JS resampling. */
export { loadImage, decodeImage, ImageLoadError, IMAGE_EXTENSIONS, isImageFile, type FitMode, type LoadImageOptions } from './load.js';
export { encodeGrayPng, encodeRgbPng, saveGrayPng, pngDataUri, toUint8Gray } from './encode.js';
export { resizeBilinear, flipImage } from './resize.js';
