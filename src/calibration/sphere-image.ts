import { createError } from '../core/errors.ts';
import type { FloatImage, RasterImage } from '../imaging/image.ts';
import type { Circle } from './circle-fit.ts';

// Image coordinates in this module: x right, y down, in pixels, with the top-left corner of the image at
// (0, 0) — so pixel (i, j) has its centre at (i + 0.5, j + 0.5). That is the simulator's camera model
// convention (src/geometry/camera-model.ts), so fitted positions go straight into a pinhole model.

/** Channel mean of a raster as floats in 0..1 (divides by the bit depth's full scale). */
export function toLuminance(image: RasterImage): FloatImage {
  const { width, height, channels, bitDepth, data } = image;
  const full = bitDepth === 16 ? 65535 : 255;
  const out = new Float32Array(width * height);
  const used = channels === 4 ? 3 : channels;
  for (let p = 0, i = 0; p < out.length; p++, i += channels) {
    let s = 0;
    for (let c = 0; c < used; c++) s += data[i + c];
    out[p] = s / (used * full);
  }
  return { width, height, data: out };
}

/** Largest channel per pixel in 0..1: a highlight saturates one channel first, so this finds clipping. */
export function toChannelMax(image: RasterImage): FloatImage {
  const { width, height, channels, bitDepth, data } = image;
  const full = bitDepth === 16 ? 65535 : 255;
  const out = new Float32Array(width * height);
  const used = channels === 4 ? 3 : channels;
  for (let p = 0, i = 0; p < out.length; p++, i += channels) {
    let m = 0;
    for (let c = 0; c < used; c++) m = Math.max(m, data[i + c]);
    out[p] = m / full;
  }
  return { width, height, data: out };
}

/**
 * Sub-pixel boundary points of a mask (px): every place where the mask crosses half of its maximum
 * between two 4-neighbours, linearly interpolated. An anti-aliased mask gives its true edge; a binary mask
 * gives the midpoints between inside and outside pixel centres, which is unbiased on average.
 */
export function maskBoundaryPoints(mask: FloatImage): { xs: Float64Array; ys: Float64Array } {
  const { width, height, data } = mask;
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, data[i]);
  if (!(max > 0)) throw createError('GB_IMAGE_INVALID', 'mask is empty (no non-zero pixel)');
  const level = max / 2;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const a = data[y * width + x];
      if (x + 1 < width) {
        const b = data[y * width + x + 1];
        if ((a >= level) !== (b >= level)) {
          xs.push(x + 0.5 + (level - a) / (b - a));
          ys.push(y + 0.5);
        }
      }
      if (y + 1 < height) {
        const b = data[(y + 1) * width + x];
        if ((a >= level) !== (b >= level)) {
          xs.push(x + 0.5);
          ys.push(y + 0.5 + (level - a) / (b - a));
        }
      }
    }
  }
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
}

/** A detected specular highlight (px) and how trustworthy it looks. */
export interface Highlight {
  xPx: number;
  yPx: number;
  /** Pixels in the chosen blob. */
  areaPx: number;
  /** Brightest value in the search region, 0..1. */
  peak: number;
  /** Threshold used, 0..1. */
  threshold: number;
  /** Pixels at or above 99.5% of full scale in the blob (clipped highlight). */
  saturatedPx: number;
  /** Blobs above the threshold inside the search region. */
  blobs: number;
  /** Weight of the runner-up blob relative to the chosen one (0 = unambiguous). */
  runnerUpRatio: number;
  /** With keepPixels: the blob's pixel centres (px) and weights (I − threshold). */
  pixels?: { xs: Float64Array; ys: Float64Array; weights: Float64Array };
}

/**
 * Sub-pixel highlight centre (px): threshold the image at `fraction` of its peak inside the search circle,
 * take 8-connected blobs, keep the one with the largest weight Σ(I − threshold), and return its
 * weighted centroid. Weighting above the threshold keeps a bloomed, clipped plateau centred on its middle,
 * and choosing by weight ignores small inter-reflections and hot pixels.
 */
export function findHighlight(image: FloatImage, search?: Circle, fraction = 0.5, keepPixels = false): Highlight {
  const { width, height, data } = image;
  const inside = (x: number, y: number): boolean => {
    if (!search) return true;
    const dx = x + 0.5 - search.cxPx;
    const dy = y + 0.5 - search.cyPx;
    return dx * dx + dy * dy <= search.radiusPx * search.radiusPx;
  };
  let x0 = 0, x1 = width - 1, y0 = 0, y1 = height - 1;
  if (search) {
    x0 = Math.max(0, Math.floor(search.cxPx - search.radiusPx - 1));
    x1 = Math.min(width - 1, Math.ceil(search.cxPx + search.radiusPx + 1));
    y0 = Math.max(0, Math.floor(search.cyPx - search.radiusPx - 1));
    y1 = Math.min(height - 1, Math.ceil(search.cyPx + search.radiusPx + 1));
  }
  let peak = 0;
  for (let y = y0; y <= y1; y++) {
    // The chord of the search circle on this row, so the scan needs no per-pixel test.
    let xa = x0;
    let xb = x1;
    if (search) {
      const dy = y + 0.5 - search.cyPx;
      const half = search.radiusPx * search.radiusPx - dy * dy;
      if (half < 0) continue;
      const h = Math.sqrt(half);
      xa = Math.max(x0, Math.ceil(search.cxPx - h - 0.5));
      xb = Math.min(x1, Math.floor(search.cxPx + h - 0.5));
    }
    for (let p = y * width + xa, e = y * width + xb; p <= e; p++) if (data[p] > peak) peak = data[p];
  }
  if (!(peak > 0)) throw createError('GB_VISION_FAILED', 'no highlight: the sphere region is black');
  const threshold = peak * fraction;
  // Labels only for the search box: a full-frame array would cost 49 MB per call at 12 MP.
  const bw = x1 - x0 + 1;
  const label = new Int32Array(bw * (y1 - y0 + 1)).fill(-1);
  const at = (x: number, y: number): number => (y - y0) * bw + (x - x0);
  const blobs: Array<{ id: number; w: number; sx: number; sy: number; n: number; sat: number }> = [];
  const stack: number[] = [];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p0 = y * width + x;
      if (data[p0] < threshold || label[at(x, y)] !== -1 || !inside(x, y)) continue;
      const id = blobs.length;
      const blob = { id, w: 0, sx: 0, sy: 0, n: 0, sat: 0 };
      label[at(x, y)] = id;
      stack.push(p0);
      while (stack.length > 0) {
        const p = stack.pop() as number;
        const px = p % width;
        const py = (p - px) / width;
        const w = data[p] - threshold + 1e-6;
        blob.w += w;
        blob.sx += w * (px + 0.5);
        blob.sy += w * (py + 0.5);
        blob.n++;
        if (data[p] >= 0.995) blob.sat++;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const qx = px + dx;
            const qy = py + dy;
            if (qx < x0 || qx > x1 || qy < y0 || qy > y1) continue;
            const q = qy * width + qx;
            if (data[q] < threshold || label[at(qx, qy)] !== -1 || !inside(qx, qy)) continue;
            label[at(qx, qy)] = id;
            stack.push(q);
          }
        }
      }
      blobs.push(blob);
    }
  }
  blobs.sort((a, b) => b.w - a.w);
  const best = blobs[0];
  let pixels: Highlight['pixels'];
  if (keepPixels) {
    pixels = { xs: new Float64Array(best.n), ys: new Float64Array(best.n), weights: new Float64Array(best.n) };
    let i = 0;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const p = y * width + x;
        if (label[at(x, y)] !== best.id) continue;
        pixels.xs[i] = x + 0.5;
        pixels.ys[i] = y + 0.5;
        pixels.weights[i++] = data[p] - threshold + 1e-6;
      }
    }
  }
  return {
    xPx: best.sx / best.w,
    yPx: best.sy / best.w,
    areaPx: best.n,
    peak,
    threshold,
    saturatedPx: best.sat,
    blobs: blobs.length,
    runnerUpRatio: blobs.length > 1 ? blobs[1].w / best.w : 0,
    pixels,
  };
}
