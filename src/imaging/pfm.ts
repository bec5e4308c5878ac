import { createError } from '../core/errors.ts';
import type { FloatImage } from './image.ts';

// PFM (Portable Float Map): header "Pf\n<w> <h>\n<scale>\n", then 32-bit floats row by row from the
// BOTTOM row up. A negative scale means little-endian. We always write little-endian.

/** Encode a single-channel float image as PFM (`Pf`), little-endian, bottom row first. */
export function encodePfm(image: FloatImage): Buffer {
  const { width, height, data } = image;
  if (data.length !== width * height) throw createError('GB_IMAGE_INVALID', `encodePfm: expected ${width * height} values, got ${data.length}`);
  const header = Buffer.from(`Pf\n${width} ${height}\n-1.0\n`, 'ascii');
  const body = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const src = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) body.writeFloatLE(data[src + x], (y * width + x) * 4);
  }
  return Buffer.concat([header, body]);
}

/** Decode a single-channel PFM (`Pf`) of either endianness into a top-row-first float image. */
export function decodePfm(bytes: Buffer, name = 'pfm'): FloatImage {
  // The header is three whitespace-separated tokens lines; find the end of the third line.
  let pos = 0;
  const tokens: string[] = [];
  while (tokens.length < 4 && pos < Math.min(bytes.length, 256)) {
    while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    let tok = '';
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]))) tok += String.fromCharCode(bytes[pos++]);
    tokens.push(tok);
  }
  pos++; // the single whitespace byte after the scale
  const [magic, w, h, s] = tokens;
  if (magic !== 'Pf') throw createError('GB_IMAGE_INVALID', `${name}: expected a grey PFM ("Pf"), got "${magic}"`);
  const width = Number(w);
  const height = Number(h);
  const scale = Number(s);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || !Number.isFinite(scale) || scale === 0) {
    throw createError('GB_IMAGE_INVALID', `${name}: bad PFM header "${tokens.join(' ')}"`);
  }
  if (bytes.length - pos < width * height * 4) {
    throw createError('GB_IMAGE_INVALID', `${name}: expected ${width * height * 4} data bytes, got ${bytes.length - pos}`);
  }
  const littleEndian = scale < 0;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const dst = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) {
      const off = pos + (y * width + x) * 4;
      data[dst + x] = littleEndian ? bytes.readFloatLE(off) : bytes.readFloatBE(off);
    }
  }
  return { width, height, data };
}
