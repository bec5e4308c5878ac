import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';
import { pixelRay, type Intrinsics, type Vec3 } from './mirror-sphere.ts';

/** A plane in the camera frame (mm): a point on it and its normal (either sign). */
export interface PlaneMm {
  pointMm: Vec3;
  normal: Vec3;
}

/** Relative LED intensities and how uniform each LED's estimate was over the target. */
export interface LedIntensityResult {
  /** Per LED, relative radiant intensity (mean over LEDs = 1). */
  relative: number[];
  /** Per LED, the median of value·r²/cos θ over the samples (image units × mm²). */
  scale: number[];
  /** Per LED, robust spread of the per-pixel estimates (1.4826·MAD / median), percent. */
  spreadPercent: number[];
  /** Per LED, samples used. */
  samples: number[];
  /**
   * With gainMaps: per LED, the sampled value over what relative intensity, inverse square and cosine
   * predict, normalised to median 1 — the flat-field (beam profile × vignetting × target response) on a
   * grid of ceil(width/stepPx) × ceil(height/stepPx) cells; masked or unusable cells take their neighbours' value.
   */
  gainMaps?: FloatImage[];
}

export interface LedIntensityOptions {
  /** Sample every stepPx pixels each way (default 8). */
  stepPx?: number;
  /** Samples with a value below this (after dark subtraction) are ignored (default 0.002). */
  minValue?: number;
  /** Samples at or above this are clipped and ignored (default 0.98). */
  maxValue?: number;
  /** Only pixels where the mask is > 0 are used (default: all). */
  mask?: FloatImage;
  /** Also return per-LED gain maps (see LedIntensityResult.gainMaps). */
  gainMaps?: boolean;
}

/**
 * Relative LED intensities from a matte white target: for each LED image (linear, dark-subtracted, 0..1)
 * and each sampled pixel, the target point X is the pixel's ray on the target plane; with d = LED − X the
 * irradiance is I·cos θ/|d|², so value·|d|²/cos θ estimates I up to the target's albedo and the camera's
 * per-pixel response, which are the same for every LED and cancel in the relative figure. The median
 * over the target is robust to dust and edge pixels; what stays non-uniform (beam profile, vignetting)
 * is the flat-field's business and shows up here as the spread.
 */
export function ledIntensitiesFromWhite(
  k: Intrinsics,
  plane: PlaneMm,
  ledPositionsMm: readonly Vec3[],
  images: readonly FloatImage[],
  options: LedIntensityOptions = {},
): LedIntensityResult {
  if (images.length !== ledPositionsMm.length) {
    throw createError('GB_BAD_REQUEST', `expected one white-target image per LED (${ledPositionsMm.length}), got ${images.length}`);
  }
  const step = Math.max(1, Math.round(options.stepPx ?? 8));
  const minValue = options.minValue ?? 0.002;
  const maxValue = options.maxValue ?? 0.98;
  const nLen = Math.hypot(...plane.normal);
  // Orient the normal towards the camera (the origin), the side the LEDs light.
  const toCam = -(plane.normal[0] * plane.pointMm[0] + plane.normal[1] * plane.pointMm[1] + plane.normal[2] * plane.pointMm[2]);
  const sign = toCam >= 0 ? 1 : -1;
  const n: Vec3 = [(sign * plane.normal[0]) / nLen, (sign * plane.normal[1]) / nLen, (sign * plane.normal[2]) / nLen];
  // Sample rays are the same for every LED: compute them once.
  const first = images[0];
  const rays: Vec3[] = [];
  for (const img of images) {
    if (img.width !== first.width || img.height !== first.height) throw createError('GB_BAD_REQUEST', 'white-target images differ in size');
  }
  if (first) {
    for (let y = Math.floor(step / 2); y < first.height; y += step) {
      for (let x = Math.floor(step / 2); x < first.width; x += step) rays.push(pixelRay(k, x + 0.5, y + 0.5));
    }
  }
  const scale: number[] = [];
  const spreadPercent: number[] = [];
  const samples: number[] = [];
  const gainMaps: FloatImage[] = [];
  for (let led = 0; led < images.length; led++) {
    const img = images[led];
    const L = ledPositionsMm[led];
    const est = new Float64Array(Math.ceil(img.width / step) * Math.ceil(img.height / step));
    let count = 0;
    const gw = Math.ceil(img.width / step);
    const gh = Math.ceil(img.height / step);
    const grid = new Float32Array(gw * gh).fill(Number.NaN);
    let ri = 0;
    for (let y = Math.floor(step / 2); y < img.height; y += step) {
      for (let x = Math.floor(step / 2); x < img.width; x += step) {
        const d = rays[ri++] as Vec3;
        if (options.mask && !(options.mask.data[y * img.width + x] > 0)) continue;
        const v = img.data[y * img.width + x];
        if (!(v >= minValue) || v >= maxValue) continue;
        const denom = d[0] * n[0] + d[1] * n[1] + d[2] * n[2];
        if (Math.abs(denom) < 1e-9) continue;
        const t = (plane.pointMm[0] * n[0] + plane.pointMm[1] * n[1] + plane.pointMm[2] * n[2]) / denom;
        if (!(t > 0)) continue;
        const toLed: Vec3 = [L[0] - d[0] * t, L[1] - d[1] * t, L[2] - d[2] * t];
        const r2 = toLed[0] ** 2 + toLed[1] ** 2 + toLed[2] ** 2;
        const cos = (toLed[0] * n[0] + toLed[1] * n[1] + toLed[2] * n[2]) / Math.sqrt(r2);
        if (cos < 0.05) continue;
        est[count++] = (v * r2) / cos;
        grid[Math.floor(y / step) * gw + Math.floor(x / step)] = (v * r2) / cos;
      }
    }
    if (count < 10) throw createError('GB_VISION_FAILED', `LED ${led}: only ${count} usable white-target samples (dark or clipped image?)`);
    const used = est.subarray(0, count).sort();
    const med = used[count >> 1];
    const dev = used.map((e) => Math.abs(e - med)).sort();
    scale.push(med);
    spreadPercent.push((100 * 1.4826 * dev[count >> 1]) / med);
    samples.push(count);
    if (options.gainMaps) {
      for (let i = 0; i < grid.length; i++) grid[i] /= med;
      fillGaps(grid, gw, gh);
      gainMaps.push({ width: gw, height: gh, data: grid });
    }
  }
  const mean = scale.reduce((a, b) => a + b, 0) / scale.length;
  return { relative: scale.map((s) => s / mean), scale, spreadPercent, samples, gainMaps: options.gainMaps ? gainMaps : undefined };
}

/** Fill NaN cells with the mean of their filled 8-neighbours, growing inwards from the known cells. */
function fillGaps(grid: Float32Array, w: number, h: number): void {
  for (let pass = 0; pass < w + h; pass++) {
    const todo: Array<[number, number]> = [];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!Number.isNaN(grid[y * w + x])) continue;
        let s = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const qx = x + dx;
            const qy = y + dy;
            if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
            const v = grid[qy * w + qx];
            if (!Number.isNaN(v)) {
              s += v;
              n++;
            }
          }
        }
        if (n > 0) todo.push([y * w + x, s / n]);
      }
    }
    if (todo.length === 0) break;
    for (const [i, v] of todo) grid[i] = v;
  }
}
