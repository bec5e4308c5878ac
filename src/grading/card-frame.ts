import type { CardSpec } from '../vision/segment.ts';
import type { CardSideMaps, CornerName } from './types.ts';

// Geometry shared by the measurements: where the nominal card lies in the maps, conversions between map
// pixels and the card frame (origin at the card centre, x right, y up, mm), bilinear sampling and robust
// statistics. Pixel centres are at integer coordinates; rows go down.

/** The nominal card rectangle in map pixels (the rectification puts the card there, margins around it). */
export interface CardFrame {
  /** Card spec the maps were rectified to. */
  card: CardSpec;
  umPerPx: number;
  /** Pixel coordinates of the card's left, right, top and bottom outer edges (nominal). */
  leftPx: number;
  rightPx: number;
  topPx: number;
  bottomPx: number;
  centreXPx: number;
  centreYPx: number;
  pxPerMm: number;
}

/** The nominal card in maps made by reconstructSide (card centred, canonical width rounded to whole px). */
export function cardFrameOf(maps: CardSideMaps, card: CardSpec): CardFrame {
  const pxPerMm = 1000 / maps.umPerPx;
  const wExact = card.widthMm * pxPerMm, hExact = card.heightMm * pxPerMm;
  const mx = (maps.widthPx - Math.round(wExact)) / 2, my = (maps.heightPx - Math.round(hExact)) / 2;
  const leftPx = mx - 0.5, topPx = my - 0.5;
  return {
    card, umPerPx: maps.umPerPx, pxPerMm,
    leftPx, rightPx: leftPx + wExact, topPx, bottomPx: topPx + hExact,
    centreXPx: leftPx + wExact / 2, centreYPx: topPx + hExact / 2,
  };
}

/** Map pixel → card frame mm (origin at the card centre, x right, y up). */
export function toCardMm(f: CardFrame, xPx: number, yPx: number): [number, number] {
  return [(xPx - f.centreXPx) / f.pxPerMm, -(yPx - f.centreYPx) / f.pxPerMm];
}

/** Card frame mm → map pixel. */
export function toMapPx(f: CardFrame, xMm: number, yMm: number): [number, number] {
  return [f.centreXPx + xMm * f.pxPerMm, f.centreYPx - yMm * f.pxPerMm];
}

/**
 * Bilinear sample of a single-channel map at (x, y), clamped to the map. On a whole-pixel column or row
 * (profiles across the top and bottom edges sample whole columns, across the sides whole rows) the
 * neighbour with weight 0 is not read: for finite maps the result is the same to the bit (v·1 + u·0 = v).
 */
export function sample(values: Float32Array, w: number, h: number, x: number, y: number): number {
  const xc = Math.min(Math.max(x, 0), w - 1.000001), yc = Math.min(Math.max(y, 0), h - 1.000001);
  const x0 = Math.floor(xc), y0 = Math.floor(yc);
  const fx = xc - x0, fy = yc - y0;
  const i = y0 * w + x0;
  if (fx === 0) return values[i] * (1 - fy) + values[i + w] * fy;
  if (fy === 0) return values[i] * (1 - fx) + values[i + 1] * fx;
  return (values[i] * (1 - fx) + values[i + 1] * fx) * (1 - fy) + (values[i + w] * (1 - fx) + values[i + w + 1] * fx) * fy;
}

/**
 * Rearrange `a` so that a[k] is the value a full sort would put there, everything before it ≤ and
 * everything after it ≥ (Hoare's selection, median-of-three pivot): O(n) instead of a sort's O(n log n).
 * The values must not be NaN (it has no rank).
 */
export function selectKth(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot.
    if (a[mid] < a[lo]) { const t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
    if (a[hi] < a[lo]) { const t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
    if (a[hi] < a[mid]) { const t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of numbers (copy; NaN for none). By selection, not a sort: the outline's levels take medians of ~10⁵ samples. */
export function median(values: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(values));
}

/**
 * {@link median} of the first `n` values of `s` without a copy: reorders them (the measurements' hot loops
 * reuse one buffer instead of allocating an array per scanline). Same answer as median() to the bit.
 */
export function medianInPlace(buffer: Float64Array, n = buffer.length): number {
  const s = n === buffer.length ? buffer : buffer.subarray(0, n);
  if (n === 0) return NaN;
  // NaN has no place in an order; a sort puts it last, so leave such input to the sort.
  for (let i = 0; i < n; i++) if (s[i] !== s[i]) { s.sort(); const k = n >> 1; return n % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]); }
  const k = n >> 1;
  const upper = selectKth(s, k);
  if (n % 2) return upper;
  // Even count: the other middle value is the largest of the lower part (all ≤ s[k] after selection).
  let lower = -Infinity;
  for (let i = 0; i < k; i++) if (s[i] > lower) lower = s[i];
  return 0.5 * (lower + upper);
}

/** Quantile q ∈ [0, 1] of numbers (linear interpolation; NaN for none). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const pos = q * (s.length - 1), i = Math.floor(pos), fr = pos - i;
  return i + 1 < s.length ? s[i] * (1 - fr) + s[i + 1] * fr : s[i];
}

/** Robust standard deviation: 1.4826 × median absolute deviation from the median. */
export function robustSigma(values: ArrayLike<number>): number {
  const n = values.length;
  const v = Float64Array.from(values);
  return robustSigmaOf(v, n, new Float64Array(n));
}

/**
 * {@link robustSigma} of the first `n` values of `values` (left as they are), with `scratch` (≥ n values)
 * as working space instead of two fresh arrays. Same answer to the bit.
 */
export function robustSigmaOf(values: Float64Array, n: number, scratch: Float64Array): number {
  for (let i = 0; i < n; i++) scratch[i] = values[i];
  const m = medianInPlace(scratch, n);
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(values[i] - m);
  return 1.4826 * medianInPlace(scratch, n);
}

/** A robust straight-line fit p(t) = a + b·t with its inliers. */
export interface LineFit {
  a: number;
  b: number;
  /** Robust RMS of the inliers' residuals. */
  rms: number;
  /** Per point: true if it carried weight in the final fit. */
  inlier: boolean[];
  inlierFraction: number;
}

/** Least squares of p on t with Tukey reweighting (scale from the MAD, floored at `minScale`). */
export function robustLine(ts: ArrayLike<number>, ps: ArrayLike<number>, minScale: number): LineFit | undefined {
  const n = ts.length;
  if (n < 4) return undefined;
  const w = new Float64Array(n).fill(1);
  const res = new Float64Array(n), scratch = new Float64Array(n);
  let a = 0, b = 0;
  for (let iter = 0; iter < 10; iter++) {
    let sw = 0, st = 0, sp = 0, stt = 0, stp = 0;
    for (let i = 0; i < n; i++) { sw += w[i]; st += w[i] * ts[i]; sp += w[i] * ps[i]; stt += w[i] * ts[i] * ts[i]; stp += w[i] * ts[i] * ps[i]; }
    const det = sw * stt - st * st;
    if (!(sw > 0) || !(Math.abs(det) > 1e-12)) return undefined;
    b = (sw * stp - st * sp) / det;
    a = (sp - b * st) / sw;
    for (let i = 0; i < n; i++) res[i] = ps[i] - a - b * ts[i];
    const scale = Math.max(robustSigmaOf(res, n, scratch), minScale);
    for (let i = 0; i < n; i++) { const u = res[i] / (4.685 * scale); w[i] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0; }
  }
  let ss = 0, k = 0;
  const inlier = Array.from(ts, (t, i) => w[i] > 0);
  for (let i = 0; i < n; i++) if (inlier[i]) { ss += (ps[i] - a - b * ts[i]) ** 2; k++; }
  return { a, b, rms: k ? Math.sqrt(ss / k) : NaN, inlier, inlierFraction: k / n };
}

/**
 * Sub-pixel position where a profile first crosses `level` going from index `from` towards `to`
 * (linear interpolation between samples); undefined when it never does.
 */
export function firstCrossing(profile: ArrayLike<number>, level: number, from: number, to: number): number | undefined {
  const dir = to >= from ? 1 : -1;
  for (let k = from; k !== to; k += dir) {
    const a = profile[k] - level, b = profile[k + dir] - level;
    if (a === 0) return k;
    if ((a > 0) !== (b > 0)) return k + (dir * a) / (a - b);
  }
  return undefined;
}

/**
 * {@link firstCrossing} of a profile computed on demand: `valueAt(k)` is called only for the samples
 * the search reaches (each once), so a long profile whose crossing lies near `from` costs a few samples.
 * Same arithmetic, same result.
 */
export function firstCrossingOf(valueAt: (k: number) => number, level: number, from: number, to: number): number | undefined {
  const dir = to >= from ? 1 : -1;
  let a = from !== to ? valueAt(from) - level : 0;
  for (let k = from; k !== to; k += dir) {
    const b = valueAt(k + dir) - level;
    if (a === 0) return k;
    if ((a > 0) !== (b > 0)) return k + (dir * a) / (a - b);
    a = b;
  }
  return undefined;
}

/** The four sides in the order the grading report uses, with their outward direction in map pixels. */
export const sideNames = ['top', 'right', 'bottom', 'left'] as const;
export type EdgeName = (typeof sideNames)[number];

/** Corner names (as the card is seen: top-left, top-right, bottom-right, bottom-left). */
export const cornerNames: readonly CornerName[] = ['tl', 'tr', 'br', 'bl'];

/** The corner (if any) whose zone (a square of `zoneMm` at the card's corner) contains a card-frame point. */
export function cornerAt(f: CardFrame, xMm: number, yMm: number, zoneMm: number): CornerName | undefined {
  const hw = f.card.widthMm / 2, hh = f.card.heightMm / 2;
  if (Math.abs(xMm) < hw - zoneMm || Math.abs(yMm) < hh - zoneMm) return undefined;
  return yMm > 0 ? (xMm < 0 ? 'tl' : 'tr') : (xMm < 0 ? 'bl' : 'br');
}
