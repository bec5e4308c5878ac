import { createError } from '../../core/errors.ts';
import { loadVisionNative } from '../../vision/native.ts';
import type { CardSideMaps } from '../types.ts';

/**
 * The surface model's input: physically meaningful deviations from the local surface, so that neither the
 * card's bow, the lighting's gain nor the print's overall brightness reaches the network:
 *   0, 1  surface slope (−nx/nz, −ny/nz) minus its local mean (bow and residual tilt removed), x right, y up
 *   2     relief minus its local mean, µm (dents and creases as depth, not as slope)
 *   3     log albedo minus its local mean (stains and print lines; gain-invariant)
 *   4     photometric-stereo misfit, 1 − confidence (0..1, not compressed): holo foil and other
 *         non-Lambertian print turn the view-dependent glint into false slope and relief that look like a
 *         dent; their readings do not fit a Lambertian surface (highlights rejected, residual), while a
 *         dent's do. Without it model 1.0.0-r1 reported dents on 14 of 14 held-out foil sides.
 *   5     card mask (1 on the card)
 * Each deviation is compressed with asinh(x / s) so faint and deep defects both fit the net's range; 0 off
 * the card. Training (scripts/train/surface.py) reads exactly these maps, written by `sim dataset --maps`.
 */
export const surfaceFeatureSpec = {
  channels: ['slope-x', 'slope-y', 'relief', 'log-albedo', 'ps-misfit', 'mask'] as const,
  /** asinh scale per deviation channel: slope (dimensionless), relief (µm), log albedo. */
  scales: { slope: 0.01, reliefUm: 5, logAlbedo: 0.1 },
  /** Local-mean window half-widths, mm. */
  windowsMm: { slope: 3, relief: 4, albedo: 4 },
};

export const surfaceFeatureChannels = surfaceFeatureSpec.channels.length;

const misfitChannel = surfaceFeatureSpec.channels.indexOf('ps-misfit');

/** The photometric-stereo misfit plane (0..1) of a feature stack of w × h px: a view, not a copy. */
export function misfitPlane(features: Float32Array, w: number, h: number): Float32Array {
  return features.subarray(misfitChannel * w * h, (misfitChannel + 1) * w * h);
}

/** Mean of `values` over the mask in a (2r+1)² window around each pixel (integral images, O(1) per px). */
export function maskedBoxMean(values: Float32Array, mask: Uint8Array, w: number, h: number, r: number): Float32Array {
  return maskedBoxMeanPasses(values, mask, w, h, r, 1);
}

/**
 * maskedBoxMean applied `passes` times (relief-valleys.ts smooths with 3), the same values to the bit: the mask's
 * integral image is built once and the values' integral buffer reused across the passes.
 */
export function maskedBoxMeanPasses(values: Float32Array, mask: Uint8Array, w: number, h: number, r: number, passes: number): Float32Array {
  const W = w + 1;
  const sm = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let rm = 0;
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) rm += 1;
      sm[(y + 1) * W + x + 1] = sm[y * W + x + 1] + rm;
    }
  }
  const sv = new Float64Array(W * (h + 1));
  let src = values;
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < h; y++) {
      let rv = 0;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (mask[i]) rv += src[i];
        sv[(y + 1) * W + x + 1] = sv[y * W + x + 1] + rv;
      }
    }
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
      for (let x = 0; x < w; x++) {
        const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
        const m = sm[y1 * W + x1] - sm[y0 * W + x1] - sm[y1 * W + x0] + sm[y0 * W + x0];
        const v = sv[y1 * W + x1] - sv[y0 * W + x1] - sv[y1 * W + x0] + sv[y0 * W + x0];
        out[y * w + x] = m > 0 ? v / m : 0;
      }
    }
    src = out;
  }
  return src;
}

/** The side's PS confidence, checked: the surface model reads it (its ps-misfit channel). */
function confidenceOf(maps: CardSideMaps): Float32Array {
  const n = maps.widthPx * maps.heightPx;
  if (!maps.confidence || maps.confidence.length !== n) {
    throw createError('GB_VALIDATION', `surface features: the maps carry no photometric-stereo confidence of ${n} values (CardSideMaps.confidence), which the surface model reads`);
  }
  return maps.confidence;
}

/** Local-mean window half-widths in the side's px (at least 1). */
function windowRadiiPx(umPerPx: number): { slope: number; relief: number; albedo: number } {
  const px = (mm: number): number => Math.max(1, Math.round((mm * 1000) / umPerPx));
  const { slope, relief, albedo } = surfaceFeatureSpec.windowsMm;
  return { slope: px(slope), relief: px(relief), albedo: px(albedo) };
}

/**
 * Feature planes (channel-major, C × H × W) of a side at its own scale, in TypeScript on the calling
 * thread: the reference the model was trained on (the simulated training maps are written through it)
 * and what {@link surfaceFeaturesAsync} runs without the native addon.
 */
export function surfaceFeatures(maps: CardSideMaps): Float32Array {
  const { widthPx: w, heightPx: h, mask } = maps;
  const confidence = confidenceOf(maps);
  const n = w * h;
  const gx = new Float32Array(n), gy = new Float32Array(n), la = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const nz = Math.max(0.2, maps.normals[3 * i + 2]);
    gx[i] = -maps.normals[3 * i] / nz;
    gy[i] = -maps.normals[3 * i + 1] / nz;
    la[i] = Math.log(Math.max(1e-4, maps.albedo[i]));
  }
  const r = windowRadiiPx(maps.umPerPx);
  const mgx = maskedBoxMean(gx, mask, w, h, r.slope);
  const mgy = maskedBoxMean(gy, mask, w, h, r.slope);
  const mr = maskedBoxMean(maps.reliefUm, mask, w, h, r.relief);
  const mla = maskedBoxMean(la, mask, w, h, r.albedo);
  const s = surfaceFeatureSpec.scales;
  const out = new Float32Array(surfaceFeatureChannels * n);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    out[i] = Math.asinh((gx[i] - mgx[i]) / s.slope);
    out[n + i] = Math.asinh((gy[i] - mgy[i]) / s.slope);
    out[2 * n + i] = Math.asinh((maps.reliefUm[i] - mr[i]) / s.reliefUm);
    out[3 * n + i] = Math.asinh((la[i] - mla[i]) / s.logAlbedo);
    out[4 * n + i] = Math.min(1, Math.max(0, 1 - confidence[i]));
    out[5 * n + i] = 1;
  }
  return out;
}

/**
 * {@link surfaceFeatures} off the event loop: in the native kernel (native/vision/features.c, the same
 * integral images in the same order, so the local means are identical and the features agree with the
 * TypeScript to a float's last bit or two: test/grading/surface/features-native.test.ts), as two jobs on
 * libuv's pool (slope x + relief + misfit + mask, slope y + log albedo: two window sums each), or
 * without the addon in TypeScript. `backend` forces one ('native' fails when the addon is not built).
 */
export async function surfaceFeaturesAsync(maps: CardSideMaps, options: { backend?: 'auto' | 'native' | 'ts' } = {}): Promise<Float32Array> {
  const confidence = confidenceOf(maps);
  const native = options.backend === 'ts' ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native?.surfaceFeatures) throw createError('GB_VISION_FAILED', 'native surface features are not built (run `node native/vision/build.mjs`)');
  if (!native?.surfaceFeatures) return surfaceFeatures(maps);
  const out = new Float32Array(surfaceFeatureChannels * maps.widthPx * maps.heightPx);
  const job = { maps: { ...maps, confidence }, out, radiiPx: windowRadiiPx(maps.umPerPx), scales: surfaceFeatureSpec.scales };
  // Channel bits: 0 slope x, 1 slope y, 2 relief, 3 log albedo, 4 misfit, 5 mask.
  const groups = native.threads > 1 ? [0b110101, 0b001010] : [0b111111];
  const ran = await Promise.all(groups.map((channels) => native.surfaceFeatures!({ ...job, channels })));
  if (ran.includes(false)) throw createError('GB_VISION_FAILED', `surface features: no memory for the integral images of a ${maps.widthPx}×${maps.heightPx} side`);
  return out;
}
