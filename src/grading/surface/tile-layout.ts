// Moving features into a network's tile and its output back onto the map, for the two layouts a surface
// model's manifest can name: plain NCHW (blockPx 1) and packed space-to-depth (blockPx b: channel c of pixel
// (b·y + dy, b·x + dx) at channel c·b² + dy·b + dx, as torch's pixel_unshuffle/pixel_shuffle). The
// recipe's s2d-unet networks run at half resolution on 2×2 blocks; packing here rather than in the graph
// keeps onnxruntime's Transposes out of it (they cost more than the convolutions did).

import { createError } from '../../core/errors.ts';
import { loadVisionNative } from '../../vision/native.ts';

/** A tile of tileW × tileH map pixels whose top-left pixel is (x0, y0) (may lie off the map: zeros there). */
export interface TileWindow { x0: number; y0: number; tileW: number; tileH: number }

/** Rows [y0, y1) in at most `parts` bands of near-equal height (one per native worker), none empty. */
function rowBands(y0: number, y1: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, y1 - y0));
  return Array.from({ length: n }, (_, i): [number, number] => [y0 + Math.floor(((y1 - y0) * i) / n), y0 + Math.floor(((y1 - y0) * (i + 1)) / n)]);
}

/**
 * Copy `channels` planes of `features` (w × h each) into slot `slot` of a batch input laid out for block b:
 * [slot][channels·b²][tileH/b][tileW/b]. Pixels off the map stay as they are (the caller passes zeros).
 */
export function packTile(features: Float32Array, w: number, h: number, channels: number, win: TileWindow, b: number, input: Float32Array, slot: number): void {
  const { x0, y0, tileW, tileH } = win;
  const plane = w * h;
  const pw = tileW / b, pplane = pw * (tileH / b);
  const slotBase = slot * channels * b * b * pplane;
  const xa = Math.max(0, -x0), xb = Math.min(tileW, w - x0);
  if (xb <= xa) return;
  for (let c = 0; c < channels; c++) {
    for (let ty = Math.max(0, -y0); ty < Math.min(tileH, h - y0); ty++) {
      const src = c * plane + (y0 + ty) * w + x0;
      if (b === 1) {
        input.set(features.subarray(src + xa, src + xb), slotBase + c * pplane + ty * pw + xa);
        continue;
      }
      const dy = ty % b, py = (ty - dy) / b;
      for (let dx = 0; dx < b; dx++) {
        const dst = slotBase + ((c * b + dy) * b + dx) * pplane + py * pw;
        // Tile columns tx = b·px + dx within [xa, xb).
        let px = Math.ceil((xa - dx) / b);
        for (let tx = b * px + dx; tx < xb; tx += b, px++) input[dst + px] = features[src + tx];
      }
    }
  }
}

/**
 * {@link packTile} off the event loop: through the native kernel (native/vision/tiles.c), a band of the
 * tile's rows per core; without the addon, in TypeScript. `backend` forces one ('native' fails when the
 * addon lacks the kernel).
 */
export async function packTileAsync(features: Float32Array, w: number, h: number, channels: number, win: TileWindow, b: number, input: Float32Array, slot: number, options: { backend?: 'auto' | 'native' | 'ts' } = {}): Promise<void> {
  const native = options.backend === 'ts' ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native?.packTile) throw createError('GB_VISION_FAILED', 'the native tile packing is not built (run `node native/vision/build.mjs`)');
  if (!native?.packTile) return packTile(features, w, h, channels, win, b, input, slot);
  await Promise.all(rowBands(0, win.tileH, native.threads).map((rows) => native.packTile!({ features, channels, w, h, block: b, win, input, slot, rows })));
}

/**
 * Write slot `slot` of a batch output ([slot][classes·b²][tileH/b][tileW/b]) onto `out` (classes planes of
 * w × h) for map rows [ya, yb) and columns [xa, xb) (inside both the map and the tile). With `softmax` the
 * output holds logits and each pixel's class probabilities are computed here (max-subtracted, as
 * torch.softmax does).
 */
export function unpackTile(output: Float32Array, classes: number, win: TileWindow, b: number, slot: number, out: Float32Array, w: number, h: number, rows: [number, number], cols: [number, number], softmax: boolean): void {
  const { x0, y0, tileW, tileH } = win;
  const plane = w * h;
  const pw = tileW / b, pplane = pw * (tileH / b);
  const slotBase = slot * classes * b * b * pplane;
  const [ya, yb] = rows, [xa, xb] = cols;
  if (!softmax) {
    // The manifest allows probabilities only unpacked (a packed graph outputs logits).
    if (b !== 1) throw createError('GB_INTERNAL', `packed output (block ${b}) must be logits`);
    for (let k = 0; k < classes; k++) {
      const base = slotBase + k * pplane;
      for (let y = ya; y < yb; y++) out.set(output.subarray(base + (y - y0) * pw + (xa - x0), base + (y - y0) * pw + (xb - x0)), k * plane + y * w + xa);
    }
    return;
  }
  const bb = b * b;
  const v = new Float64Array(classes);
  for (let y = ya; y < yb; y++) {
    const ty = y - y0, dy = ty % b, py = (ty - dy) / b;
    for (let x = xa; x < xb; x++) {
      const tx = x - x0, dx = tx % b, px = (tx - dx) / b;
      const at = slotBase + (dy * b + dx) * pplane + py * pw + px;
      const o = y * w + x;
      let max = -Infinity;
      for (let k = 0; k < classes; k++) {
        v[k] = output[at + k * bb * pplane];
        if (v[k] > max) max = v[k];
      }
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        v[k] = Math.exp(v[k] - max);
        sum += v[k];
      }
      for (let k = 0; k < classes; k++) out[k * plane + o] = v[k] / sum;
    }
  }
}

/**
 * {@link unpackTile} off the event loop: logits through the native kernel (native/vision/tiles.c), a band of
 * rows per core; probabilities, or without the addon, in TypeScript. `backend` forces one ('native' fails
 * when the addon lacks the kernel).
 */
export async function unpackTileAsync(output: Float32Array, classes: number, win: TileWindow, b: number, slot: number, out: Float32Array, w: number, h: number, rows: [number, number], cols: [number, number], softmax: boolean, options: { backend?: 'auto' | 'native' | 'ts' } = {}): Promise<void> {
  const native = options.backend === 'ts' || !softmax ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native?.unpackSoftmax) throw createError('GB_VISION_FAILED', 'the native tile unpacking is not built (run `node native/vision/build.mjs`)');
  if (!native?.unpackSoftmax) return unpackTile(output, classes, win, b, slot, out, w, h, rows, cols, softmax);
  await Promise.all(rowBands(rows[0], rows[1], native.threads).map((band) => native.unpackSoftmax!({ logits: output, slot, classes, block: b, win, out, w, h, rows: band, cols })));
}
