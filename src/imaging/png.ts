import sharp, { type Metadata } from 'sharp';
import { readFile } from 'node:fs/promises';
import { createError } from '../core/errors.ts';
import type { RasterImage } from './image.ts';

// Pixel data here is linear measurement, not a picture: sharp must never convert colour spaces or apply
// gamma, so every read asks for raw samples of the stored depth and every write declares the raw layout.

/** Decode an 8- or 16-bit PNG (grey, grey+alpha, RGB or RGBA) into its raw samples. Alpha is dropped. */
export async function decodePng(bytes: Buffer | Uint8Array, name = 'image'): Promise<RasterImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw createError('GB_IMAGE_INVALID', `${name}: not a readable image (${(err as Error).message})`);
  }
  if (meta.format !== 'png') throw createError('GB_IMAGE_INVALID', `${name}: expected PNG, got ${meta.format ?? 'unknown'}`);
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  const grey = meta.channels === 1 || meta.channels === 2;
  const pipeline = sharp(bytes).removeAlpha();
  const { data, info } = await pipeline
    .toColourspace(grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb')
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels as 1 | 3 | 4;
  if (info.width !== width || info.height !== height) {
    throw createError('GB_IMAGE_INVALID', `${name}: decoded size ${info.width}×${info.height} differs from header ${width}×${height}`);
  }
  const samples = sixteen
    ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice()
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { width, height, channels, bitDepth: sixteen ? 16 : 8, data: samples };
}

/** Read and decode a PNG file. */
export async function readPng(path: string): Promise<RasterImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw createError('GB_IMAGE_INVALID', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodePng(bytes, path);
}

/** Encode raw samples as a lossless PNG of the same bit depth and channel count. */
export async function encodePng(image: RasterImage): Promise<Buffer> {
  const { width, height, channels, bitDepth, data } = image;
  if (data.length !== width * height * channels) {
    throw createError('GB_IMAGE_INVALID', `encodePng: expected ${width * height * channels} samples, got ${data.length}`);
  }
  if ((bitDepth === 16) !== data instanceof Uint16Array) {
    throw createError('GB_IMAGE_INVALID', `encodePng: bitDepth ${bitDepth} does not match ${data.constructor.name}`);
  }
  // sharp infers the raw sample depth from the typed array's type (a Buffer would be read as 8-bit).
  let pipeline = sharp(data, { raw: { width, height, channels, premultiplied: false } });
  if (bitDepth === 16) pipeline = pipeline.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  else if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  // Fast deflate: frames are written on the capture path; size matters less than latency.
  return pipeline.png({ compressionLevel: 1, adaptiveFiltering: false, palette: false }).toBuffer();
}
