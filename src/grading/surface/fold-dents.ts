import { medianInPlace } from '../card-frame.ts';
import type { CardSideMaps, SurfaceDefect } from '../types.ts';
import type { MeasuredFold } from './folds.ts';
import { cardFrame } from './postprocess.ts';

// Dents on or beside a fold. The network's component of a fold is as wide as its shoulders and whatever
// touches them: a dent pressed 2–6 mm from a fold's line is in it, and the measured fold replaces the
// component (folds.ts), dent and all. On a second renderer's cards 14 and 108 (scripts/eval/foreign-eval.ts)
// a 44 µm and a 35 µm dent were lost so, 1.7 and 4.6 mm from 69 µm and 49 µm folds. Measured here: the
// relief in a band along each fold, less the fold's own cross-section (the median of the band's profile
// over foldProfileWindowMm along the fold: a dent is shorter than half of it), leaves the dent; a round
// residual depression at least foldDentMinDepthUm deep is reported as a dent.

/** Half-width of the band searched across a fold, mm. */
const bandMm = 6;
/** Along the fold: the fold's cross-section is the median over this window, mm (a dent is ≤ 6 mm). */
const foldProfileWindowMm = 16;
/** Station spacing along the fold, mm (the profile's median takes every 4th). */
const stationMm = 0.25;
/**
 * A residual depression this deep, µm, is a dent… (the second renderer's two: 29 and 45 µm of residual; on
 * a held-out simulated side a fold's own unevenness left 17 µm)
 */
export const foldDentMinDepthUm = 20;
/**
 * …when its half-depth region spans 1–8 mm and is at most this many times as long as wide: a scratch
 * crossing the band is not round (on a held-out simulated side one left 7.4 × 3.0 mm, 29 µm).
 */
const maxElongation = 2;
/** Dents per fold at most. */
const maxDentsPerFold = 3;

/**
 * The dents along the measured `folds` (model-grid centre lines) that `defects` does not already hold
 * (none within 2.5 mm), measured on the model grid's relief (`small`) away from regions that are not
 * surface (`misfit` above `maxMisfit`); boxes in the side's own px.
 */
export function dentsOnFolds(defects: SurfaceDefect[], folds: MeasuredFold[], small: CardSideMaps, side: CardSideMaps, misfit: Float32Array | undefined, maxMisfit: number | undefined, cornerZoneMm: number): SurfaceDefect[] {
  if (folds.length === 0) return [];
  const { widthPx: w, heightPx: h, reliefUm, mask } = small;
  const mmPerPx = small.umPerPx / 1000;
  const frame = cardFrame(side, small.umPerPx, cornerZoneMm);
  const f = small.umPerPx / side.umPerPx; // side px per model px
  const found: SurfaceDefect[] = [];
  const at = (x: number, y: number): number => {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= w || yi >= h) return NaN;
    const i = yi * w + xi;
    if (!mask[i] || (misfit && maxMisfit !== undefined && misfit[i] > maxMisfit)) return NaN;
    return reliefUm[i];
  };
  for (const fold of folds) {
    const [x0, y0, x1, y1] = fold.axisPx;
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (!(len > 0)) continue;
    const ux = (x1 - x0) / len, uy = (y1 - y0) / len, nx = -uy, ny = ux;
    const ds = stationMm / mmPerPx, ext = 2 / mmPerPx;
    const S = Math.floor((len + 2 * ext) / ds) + 1, O = 2 * Math.round(bandMm / mmPerPx) + 1, half = (O - 1) / 2;
    // The band's relief, stations × offsets (1 model px apart across).
    const r = new Float32Array(S * O);
    for (let s = 0; s < S; s++) {
      const cx = x0 + ux * (s * ds - ext), cy = y0 + uy * (s * ds - ext);
      for (let o = 0; o < O; o++) r[s * O + o] = at(cx + nx * (o - half), cy + ny * (o - half));
    }
    // Residual: the relief less the fold's cross-section at each station (median along the window).
    const win = Math.round(foldProfileWindowMm / 2 / stationMm);
    const res = new Float32Array(S * O).fill(NaN);
    // One buffer for every station's window (a median per band pixel: an array each was most of this step's time).
    const values = new Float64Array(Math.floor((2 * win) / 4) + 1);
    for (let s = 0; s < S; s++) {
      for (let o = 0; o < O; o++) {
        const v = r[s * O + o];
        if (v !== v) continue;
        let n = 0;
        for (let t = Math.max(0, s - win); t <= Math.min(S - 1, s + win); t += 4) { const q = r[t * O + o]; if (q === q) values[n++] = q; }
        if (n >= 5) res[s * O + o] = v - medianInPlace(values, n);
      }
    }
    // Smoothed over ~0.5 mm (the residual's noise is the relief's), then its deepest round depressions.
    const sm = boxMean(res, S, O, 1, 4);
    for (let k = 0; k < maxDentsPerFold; k++) {
      let best = -1, low = -foldDentMinDepthUm;
      for (let i = 0; i < S * O; i++) if (sm[i] < low) { low = sm[i]; best = i; }
      if (best < 0) break;
      // Its half-depth region (4-connected), then taken out of the search.
      const region = flood(sm, S, O, best, low / 2);
      for (const i of region) sm[i] = NaN;
      let ms = 0, mo = 0;
      for (const i of region) { ms += Math.floor(i / O); mo += i % O; }
      ms /= region.length; mo /= region.length;
      let css = 0, coo = 0, cso = 0;
      for (const i of region) { const a = (Math.floor(i / O) - ms) * stationMm, b = ((i % O) - mo) * mmPerPx; css += a * a; coo += b * b; cso += a * b; }
      css /= region.length; coo /= region.length; cso /= region.length;
      const tr = (css + coo) / 2, d = Math.sqrt(((css - coo) / 2) ** 2 + cso * cso);
      const major = 4 * Math.sqrt(tr + d), minor = 4 * Math.sqrt(Math.max(0, tr - d)); // ≈ full widths
      if (major > 8 || minor < 1 || major > maxElongation * minor) continue;
      const bs = Math.floor(best / O), bo = best % O;
      const px = x0 + ux * (bs * ds - ext) + nx * (bo - half), py = y0 + uy * (bs * ds - ext) + ny * (bo - half);
      const centerMm = frame.toCardMm(px, py);
      if ([...defects, ...found].some((d) => d.type === 'dent' && Math.hypot(d.centerMm[0] - centerMm[0], d.centerMm[1] - centerMm[1]) <= 2.5)) continue;
      const depthUm = -low;
      const r0 = major / 2 / mmPerPx;
      const boxPx: [number, number, number, number] = [
        Math.max(0, Math.floor((px - r0) * f)), Math.max(0, Math.floor((py - r0) * f)),
        Math.min(side.widthPx, Math.ceil((px + r0 + 1) * f)), Math.min(side.heightPx, Math.ceil((py + r0 + 1) * f)),
      ];
      const confidence = Math.round((1 - Math.exp(-depthUm / foldDentMinDepthUm)) * 1000) / 1000;
      const dent: SurfaceDefect = { type: 'dent', side: side.side, centerMm, lengthMm: major, widthMm: minor, depthUm, areaMm2: region.length * stationMm * mmPerPx, confidence, boxPx };
      const corner = frame.cornerAt(centerMm);
      if (corner) dent.corner = corner;
      found.push(dent);
    }
  }
  return found;
}

/** Mean over a (2rs+1) × (2ro+1) window of the finite values (NaN where none). */
function boxMean(v: Float32Array, S: number, O: number, rs: number, ro: number): Float32Array {
  const out = new Float32Array(S * O).fill(NaN);
  for (let s = 0; s < S; s++) {
    for (let o = 0; o < O; o++) {
      if (v[s * O + o] !== v[s * O + o]) continue;
      let sum = 0, n = 0;
      for (let a = Math.max(0, s - rs); a <= Math.min(S - 1, s + rs); a++) for (let b = Math.max(0, o - ro); b <= Math.min(O - 1, o + ro); b++) { const q = v[a * O + b]; if (q === q) { sum += q; n++; } }
      out[s * O + o] = sum / n;
    }
  }
  return out;
}

/** Cells 4-connected to `seed` whose value is at or below `level`. */
function flood(v: Float32Array, S: number, O: number, seed: number, level: number): number[] {
  const seen = new Uint8Array(S * O), out: number[] = [], stack = [seed];
  seen[seed] = 1;
  while (stack.length > 0) {
    const i = stack.pop()!;
    out.push(i);
    const s = Math.floor(i / O), o = i % O;
    for (const [a, b] of [[s - 1, o], [s + 1, o], [s, o - 1], [s, o + 1]]) {
      if (a < 0 || b < 0 || a >= S || b >= O) continue;
      const j = a * O + b;
      if (!seen[j] && v[j] <= level) { seen[j] = 1; stack.push(j); }
    }
  }
  return out;
}
