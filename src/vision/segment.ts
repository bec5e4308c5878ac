import { createError } from '../core/errors.ts';
import { homographyFromPoints, type Homography } from './homography.ts';
import type { Plane } from './ps-kernel.ts';

/** Physical card size; standard trading cards are 63.5 × 88.9 mm with ~3.2 mm corner radius. */
export interface CardSpec {
  widthMm: number;
  heightMm: number;
  cornerRadiusMm: number;
}

export const standardCard: CardSpec = { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.18 };

/** A straight side: unit normal (a, b) pointing out of the card, a·x + b·y + c = 0 on the side (px). */
export interface SideFit {
  a: number;
  b: number;
  c: number;
  /** RMS perpendicular distance of the inlier edge points to the side curve (line + q), px. */
  residualPx: number;
  inliers: number;
  points: number;
  /**
   * The side as a curve: the edge lies at a·x + b·y + c = q[0] + q[1]·u + q[2]·u² (px), u = −b·x + a·y − uMid
   * (px along the side). A bowed card's sides are not straight in the image (their height above the tray,
   * hence their perspective scale, varies along them); corners come from these curves.
   */
  q: [number, number, number];
  uMid: number;
}

/** The card's outline in the image (pixel centres at integer coordinates, x right, y down). */
export interface CardOutline {
  /** Virtual sharp corners (intersections of the side curves, see SideFit.q): top-left, top-right, bottom-right, bottom-left of the card as it will appear upright in the canonical image. */
  corners: [number, number][];
  /** Sides in order top, right, bottom, left (canonical orientation). */
  sides: SideFit[];
  /** Corner radius measured along each corner's bisector, px (same order as corners; NaN if not found). */
  cornerRadiiPx: number[];
  /** Scale measured from the side lengths, µm per image px. */
  umPerPx: number;
  /** Canonical image pixel → image pixel. */
  canonicalToImage: Homography;
  canonicalWidth: number;
  canonicalHeight: number;
  /** µm per canonical pixel. */
  canonicalUmPerPx: number;
}

/** Options of {@link segmentCard}. */
export interface SegmentOptions {
  card?: CardSpec;
  /** Approximate camera scale, µm per image px (from the rig's calibration; ±20% is fine). */
  umPerPx: number;
  /** µm per canonical px (default: the camera scale rounded to the µm). */
  canonicalUmPerPx?: number;
}

// Edge profiles look at an upper quantile over lights, not the max: a grazing LED can make a card's edge
// glint (saturate) in one or two frames, which pushes a max-image edge outwards; the median instead sees a
// worn or chipped edge dark under most lights, which pulls the edge inwards. On simulated cards (gradebooth
// sim render, whose card outline is drawn sub-pixel exact) the 0.9 quantile puts corners 0.04–0.13 px from
// the true corners in truth.json (test/vision/segment-sim.test.ts, sim-card.test.ts).
const EDGE_QUANTILE = 0.9;
const scratch = new Float64Array(256);

/** The EDGE_QUANTILE quantile of the first n values of `scratch` (insertion sort; n is the light count). */
function quantileOfScratch(n: number): number {
  for (let i = 1; i < n; i++) {
    const v = scratch[i];
    let j = i - 1;
    while (j >= 0 && scratch[j] > v) { scratch[j + 1] = scratch[j]; j--; }
    scratch[j + 1] = v;
  }
  const pos = EDGE_QUANTILE * (n - 1);
  const i0 = Math.floor(pos);
  const fr = pos - i0;
  return i0 + 1 < n ? scratch[i0] * (1 - fr) + scratch[i0 + 1] * fr : scratch[i0];
}

/** Bilinear sample of the upper quantile over planes at (x, y) (clamped). */
function sampleQuantile(planes: readonly Plane[], w: number, h: number, x: number, y: number): number {
  const xc = Math.min(Math.max(x, 0), w - 1.000001);
  const yc = Math.min(Math.max(y, 0), h - 1.000001);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const fx = xc - x0;
  const fy = yc - y0;
  const i = y0 * w + x0;
  const n = Math.min(planes.length, scratch.length);
  for (let k = 0; k < n; k++) {
    const p = planes[k];
    scratch[k] = (p[i] * (1 - fx) + p[i + 1] * fx) * (1 - fy) + (p[i + w] * (1 - fx) + p[i + w + 1] * fx) * fy;
  }
  return quantileOfScratch(n);
}

/** Otsu threshold of values (256-bin histogram between min and max). */
function otsu(values: Float32Array): number {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) return lo;
  const bins = new Float64Array(256);
  for (const v of values) bins[Math.min(255, Math.floor(((v - lo) / (hi - lo)) * 256))]++;
  const total = values.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * bins[i];
  let wB = 0, sumB = 0, best = 0, bestT = 0;
  for (let t = 0; t < 256; t++) {
    wB += bins[t];
    if (wB === 0 || wB === total) continue;
    sumB += t * bins[t];
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / (total - wB);
    const between = wB * (total - wB) * (mB - mF) ** 2;
    if (between > best) { best = between; bestT = t; }
  }
  return lo + ((bestT + 1) / 256) * (hi - lo);
}

/** Fill the holes of a component (the card's own print): what the border cannot reach outside it. */
function fillHoles(region: Uint8Array, w: number, h: number, queue: Int32Array): number {
  const outside = new Uint8Array(w * h);
  let head = 0, tail = 0;
  const seed = (i: number): void => { if (!region[i] && !outside[i]) { outside[i] = 1; queue[tail++] = i; } };
  for (let x = 0; x < w; x++) { seed(x); seed((h - 1) * w + x); }
  for (let y = 0; y < h; y++) { seed(y * w); seed(y * w + w - 1); }
  while (head < tail) {
    const i = queue[head++];
    const x = i % w;
    if (x + 1 < w) seed(i + 1);
    if (x > 0) seed(i - 1);
    if (i + w < w * h) seed(i + w);
    if (i >= w) seed(i - w);
  }
  let area = 0;
  for (let i = 0; i < w * h; i++) { region[i] = outside[i] ? 0 : 1; area += region[i]; }
  return area;
}

/**
 * The 4-connected component of `fg` that, holes filled, has the area nearest `wantArea` (within a factor
 * of 2). Components touching the image border are not cards (the whole card must be in view).
 */
function cardRegion(fg: Uint8Array, w: number, h: number, wantArea: number): { region: Uint8Array; area: number } | undefined {
  const label = new Int32Array(w * h).fill(-1);
  const queue = new Int32Array(w * h);
  let best: { region: Uint8Array; area: number; score: number } | undefined;
  for (let s = 0; s < w * h; s++) {
    if (!fg[s] || label[s] >= 0) continue;
    let head = 0, tail = 0, touches = false;
    queue[tail++] = s;
    label[s] = s;
    while (head < tail) {
      const i = queue[head++];
      const x = i % w;
      if (x === 0 || x === w - 1 || i < w || i >= w * (h - 1)) touches = true;
      if (x + 1 < w && fg[i + 1] && label[i + 1] < 0) { label[i + 1] = s; queue[tail++] = i + 1; }
      if (x > 0 && fg[i - 1] && label[i - 1] < 0) { label[i - 1] = s; queue[tail++] = i - 1; }
      if (i + w < w * h && fg[i + w] && label[i + w] < 0) { label[i + w] = s; queue[tail++] = i + w; }
      if (i >= w && fg[i - w] && label[i - w] < 0) { label[i - w] = s; queue[tail++] = i - w; }
    }
    // Print can hide most of a card's pixels from the threshold: a light border ring around dark print
    // (behind a dark keyline) is only ~10% of the card's area, so the size test is on the filled area;
    // only small blobs are skipped before filling (it costs a pass over the image).
    if (touches || tail < wantArea / 50 || tail > wantArea * 2) continue;
    const region = new Uint8Array(w * h);
    for (let k = 0; k < tail; k++) region[queue[k]] = 1;
    const area = fillHoles(region, w, h, new Int32Array(w * h));
    const score = Math.abs(Math.log(area / wantArea));
    if (score < Math.log(2) && (!best || score < best.score)) best = { region, area, score };
  }
  return best;
}

/** Whether region `inner` lies (≥ 95% of it) inside region `outer` and is smaller. */
function nestedIn(inner: Uint8Array, outer: Uint8Array): boolean {
  let n = 0, inside = 0, nOuter = 0;
  for (let i = 0; i < inner.length; i++) {
    nOuter += outer[i];
    if (inner[i]) { n++; inside += outer[i]; }
  }
  return n > 0 && n < nOuter && inside >= 0.95 * n;
}

/** Robust total-least-squares line through points (Tukey reweighting of perpendicular residuals). */
function fitLine(xs: number[], ys: number[], outward: [number, number]): SideFit | undefined {
  const n = xs.length;
  if (n < 5) return undefined;
  const wts = new Float64Array(n).fill(1);
  let a = 0, b = 0, c = 0;
  for (let iter = 0; iter < 8; iter++) {
    let sw = 0, mx = 0, my = 0;
    for (let i = 0; i < n; i++) { sw += wts[i]; mx += wts[i] * xs[i]; my += wts[i] * ys[i]; }
    if (sw === 0) return undefined;
    mx /= sw; my /= sw;
    let sxx = 0, sxy = 0, syy = 0;
    for (let i = 0; i < n; i++) {
      const dx = xs[i] - mx, dy = ys[i] - my;
      sxx += wts[i] * dx * dx; sxy += wts[i] * dx * dy; syy += wts[i] * dy * dy;
    }
    // Normal = eigenvector of the smaller eigenvalue of the scatter matrix.
    const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
    a = -Math.sin(theta); b = Math.cos(theta);
    if (a * outward[0] + b * outward[1] < 0) { a = -a; b = -b; }
    c = -(a * mx + b * my);
    const res = xs.map((x, i) => Math.abs(a * x + b * ys[i] + c));
    const sorted = Float64Array.from(res).sort();
    const scale = Math.max(1.4826 * sorted[n >> 1], 0.05);
    for (let i = 0; i < n; i++) { const u = res[i] / (4.685 * scale); wts[i] = u < 1 ? (1 - u * u) ** 2 : 0; }
  }
  const q = fitBow(xs, ys, wts, a, b, c);
  let ss = 0, inl = 0;
  for (let i = 0; i < n; i++) {
    if (wts[i] <= 0) continue;
    const u = -b * xs[i] + a * ys[i] - q.uMid;
    const r = a * xs[i] + b * ys[i] + c - (q.q[0] + q.q[1] * u + q.q[2] * u * u);
    ss += r * r; inl++;
  }
  return { a, b, c, residualPx: inl ? Math.sqrt(ss / inl) : NaN, inliers: inl, points: n, q: q.q, uMid: q.uMid };
}

/**
 * Weighted least-squares parabola of the line residuals along the side (the line fit's robust weights,
 * Tukey reweighting again on the parabola's own residuals): the bow of the side in the image.
 */
function fitBow(xs: number[], ys: number[], w0: Float64Array, a: number, b: number, c: number): { q: [number, number, number]; uMid: number } {
  const n = xs.length;
  const us = new Float64Array(n), rs = new Float64Array(n), wts = Float64Array.from(w0);
  let uMin = Infinity, uMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const u = -b * xs[i] + a * ys[i];
    us[i] = u; rs[i] = a * xs[i] + b * ys[i] + c;
    if (w0[i] > 0) { uMin = Math.min(uMin, u); uMax = Math.max(uMax, u); }
  }
  const uMid = (uMin + uMax) / 2, half = Math.max((uMax - uMin) / 2, 1);
  let q: [number, number, number] = [0, 0, 0];
  for (let iter = 0; iter < 4; iter++) {
    // Normal equations in the scaled coordinate t = (u − uMid)/half ∈ [−1, 1] (well conditioned).
    const m = new Float64Array(9), v = new Float64Array(3);
    for (let i = 0; i < n; i++) {
      if (wts[i] <= 0) continue;
      const t = (us[i] - uMid) / half, f = [1, t, t * t];
      for (let j = 0; j < 3; j++) { v[j] += wts[i] * f[j] * rs[i]; for (let k = 0; k < 3; k++) m[j * 3 + k] += wts[i] * f[j] * f[k]; }
    }
    const sol = solve3(m, v);
    if (!sol) return { q: [0, 0, 0], uMid };
    q = [sol[0], sol[1] / half, sol[2] / (half * half)];
    const res = Array.from(us, (u, i) => Math.abs(rs[i] - (q[0] + q[1] * (u - uMid) + q[2] * (u - uMid) ** 2)));
    const sorted = Float64Array.from(res).sort();
    const scale = Math.max(1.4826 * sorted[n >> 1], 0.05);
    for (let i = 0; i < n; i++) { const r = res[i] / (4.685 * scale); wts[i] = w0[i] > 0 && r < 1 ? (1 - r * r) ** 2 : 0; }
  }
  return { q, uMid };
}

/** Solve the 3×3 system m·x = v (Cramer's rule); undefined when singular. */
function solve3(m: Float64Array, v: Float64Array): [number, number, number] | undefined {
  const det = (a: ArrayLike<number>): number => a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const d = det(m);
  if (!(Math.abs(d) > 1e-12)) return undefined;
  const out: number[] = [];
  for (let col = 0; col < 3; col++) {
    const mc = Array.from(m);
    for (let r = 0; r < 3; r++) mc[r * 3 + col] = v[r];
    out.push(det(mc) / d);
  }
  return [out[0], out[1], out[2]];
}

/** Intersection of two lines a·x + b·y = −c. */
function intersectLines(p: { a: number; b: number; c: number }, q: { a: number; b: number; c: number }): [number, number] {
  const det = p.a * q.b - p.b * q.a;
  return [(p.b * q.c - q.b * p.c) / det, (q.a * p.c - p.a * q.c) / det];
}

/** The side's tangent line at the point of its curve nearest (x, y) (a·x + b·y + c = 0 form). */
function tangentAt(s: SideFit, x: number, y: number): { a: number; b: number; c: number } {
  const u = -s.b * x + s.a * y - s.uMid;
  const off = s.q[0] + s.q[1] * u + s.q[2] * u * u;
  const slope = s.q[1] + 2 * s.q[2] * u;
  // Curve point P(u) = foot + off·n, dP/du = t + slope·n; its normal is n − slope·t (t = (−b, a)).
  let na = s.a + slope * s.b, nb = s.b - slope * s.a;
  const l = Math.hypot(na, nb);
  na /= l; nb /= l;
  // The curve point: on the line's foot at u, moved by off along the line normal.
  const uu = u + s.uMid;
  const px = -s.b * uu - s.a * s.c + s.a * off, py = s.a * uu - s.b * s.c + s.b * off;
  return { a: na, b: nb, c: -(na * px + nb * py) };
}

/** Virtual sharp corner of two curved sides: intersect their tangent lines, a few fixed-point steps. */
function curveCorner(p: SideFit, q: SideFit): [number, number] {
  let pt = intersectLines(p, q);
  for (let it = 0; it < 4; it++) pt = intersectLines(tangentAt(p, pt[0], pt[1]), tangentAt(q, pt[0], pt[1]));
  return pt;
}

/**
 * Position (in px along the profile, 0 = start) where the quantile-over-lights image crosses halfway between
 * its inside and outside levels, nearest to `expectAt`; undefined when the step is too weak.
 */
function edgeCrossing(planes: readonly Plane[], w: number, h: number, x0: number, y0: number, dx: number, dy: number, length: number, expectAt: number, flank: number): number | undefined {
  const step = 0.25;
  const count = Math.floor(length / step) + 1;
  const prof = new Float64Array(count);
  for (let k = 0; k < count; k++) prof[k] = sampleQuantile(planes, w, h, x0 + dx * k * step, y0 + dy * k * step);
  const nf = Math.max(2, Math.floor(flank / step));
  let inside = 0, outsideLvl = 0;
  for (let k = 0; k < nf; k++) { inside += prof[k]; outsideLvl += prof[count - 1 - k]; }
  inside /= nf; outsideLvl /= nf;
  const mid = 0.5 * (inside + outsideLvl);
  if (Math.abs(inside - outsideLvl) < 1e-6) return undefined;
  let best: number | undefined;
  for (let k = 0; k + 1 < count; k++) {
    const a = prof[k] - mid, b = prof[k + 1] - mid;
    if ((a > 0) !== (b > 0) || a === 0) {
      const pos = (k + (a === b ? 0 : a / (a - b))) * step;
      if (best === undefined || Math.abs(pos - expectAt) < Math.abs(best - expectAt)) best = pos;
    }
  }
  return best;
}

/**
 * Find the card: coarse region (Otsu on a downsampled max-over-lights image, either polarity, the
 * component nearest the expected area, holes filled), principal axes, then sub-pixel edge points along
 * the straight parts of the four sides, robust line fits, corners as line intersections, corner radii
 * along the bisectors, and the homography from the canonical card image.
 */
export function segmentCard(planes: readonly Plane[], width: number, height: number, options: SegmentOptions): CardOutline {
  const card = options.card ?? standardCard;
  if (planes.length === 0) throw createError('GB_VISION_FAILED', 'segmentation needs at least one image');
  for (const p of planes) if (p.length !== width * height) throw createError('GB_IMAGE_INVALID', `segmentation: expected ${width}×${height} samples, got ${p.length}`);
  const um = options.umPerPx;
  const cardWpx = (card.widthMm * 1000) / um;
  const cardHpx = (card.heightMm * 1000) / um;
  // Downsample so the card is ~200 px across: point samples of the max over lights (the card is bright
  // under some light everywhere, print included; edge glints do not matter at this scale).
  const f = Math.max(1, Math.floor(cardWpx / 200));
  const dw = Math.floor(width / f), dh = Math.floor(height / f);
  const small = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const i = (y * f + (f >> 1)) * width + x * f + (f >> 1);
      let m = -Infinity;
      for (const p of planes) if (p[i] > m) m = p[i];
      small[y * dw + x] = m;
    }
  }
  const thr = otsu(small);
  const wantArea = (cardWpx * cardHpx) / (f * f);
  let found: { region: Uint8Array; area: number } | undefined;
  const tryThreshold = (t: number): void => {
    for (const brightCard of [true, false]) {
      const fg = new Uint8Array(dw * dh);
      for (let i = 0; i < fg.length; i++) fg[i] = (small[i] > t) === brightCard ? 1 : 0;
      const r = cardRegion(fg, dw, dh, wantArea);
      if (!r) continue;
      // A dark print frame inside a light border (or the reverse) is card-sized too: when one candidate lies
      // within the other, the outer one is the card, whatever the scale guess says.
      if (!found || nestedIn(found.region, r.region) || (!nestedIn(r.region, found.region) && Math.abs(Math.log(r.area / wantArea)) < Math.abs(Math.log(found.area / wantArea)))) found = r;
    }
  };
  tryThreshold(thr);
  if (!found) {
    // Three levels, not two: a holo foil's glints in the max over lights can outshine a grey card by more
    // than the card outshines the tray, and the one threshold then splits foil from card and tray (a
    // simulated holo card back failed so). Otsu again within each of the two classes.
    tryThreshold(otsu(small.filter((v) => v <= thr)));
    if (!found) tryThreshold(otsu(small.filter((v) => v > thr)));
  }
  if (!found) throw createError('GB_VISION_FAILED', `no card-sized region found (expected ~${Math.round(cardWpx)}×${Math.round(cardHpx)} px at ${um} µm/px)`);
  // Principal axes of the region (full-resolution coordinates of the sample points).
  let sx = 0, sy = 0, n = 0;
  for (let y = 0; y < dh; y++) for (let x = 0; x < dw; x++) if (found.region[y * dw + x]) { sx += x; sy += y; n++; }
  const toFull = (v: number): number => v * f + (f >> 1);
  const mx = sx / n, my = sy / n;
  let cxx = 0, cxy = 0, cyy = 0;
  for (let y = 0; y < dh; y++) for (let x = 0; x < dw; x++) if (found.region[y * dw + x]) { cxx += (x - mx) ** 2; cxy += (x - mx) * (y - my); cyy += (y - my) ** 2; }
  let phi = 0.5 * Math.atan2(2 * cxy, cxx - cyy); // direction of the long axis (image x right, y down)
  // Canonical "down" = the long axis direction closest to image +y (the least rotation from upright).
  let down: [number, number] = [Math.cos(phi), Math.sin(phi)];
  if (down[1] < 0 || (Math.abs(down[1]) < 1e-9 && down[0] < 0)) down = [-down[0], -down[1]];
  phi = Math.atan2(down[1], down[0]);
  const right: [number, number] = [down[1], -down[0]]; // rotate "down" by −90° in image coordinates
  // Extents along the axes from region pixels' projections.
  let uMin = Infinity, uMax = -Infinity, vMin = Infinity, vMax = -Infinity;
  const cx = toFull(mx), cy = toFull(my);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      if (!found.region[y * dw + x]) continue;
      const X = toFull(x) - cx, Y = toFull(y) - cy;
      const u = X * right[0] + Y * right[1];
      const v = X * down[0] + Y * down[1];
      uMin = Math.min(uMin, u); uMax = Math.max(uMax, u); vMin = Math.min(vMin, v); vMax = Math.max(vMax, v);
    }
  }
  // Half a sample cell on each side: region pixels are cell centres.
  uMin -= f / 2; uMax += f / 2; vMin -= f / 2; vMax += f / 2;
  const radiusPx = (card.cornerRadiusMm * 1000) / um;
  const search = 2 * f + 6;
  // Sides: top (outward −down), right (+right), bottom (+down), left (−right). Each: outward normal,
  // coarse offset, and the tangent range along the side.
  const sideDefs: { out: [number, number]; tan: [number, number]; off: number; t0: number; t1: number }[] = [
    { out: [-down[0], -down[1]], tan: right, off: -vMin, t0: uMin, t1: uMax },
    { out: right, tan: down, off: uMax, t0: vMin, t1: vMax },
    { out: down, tan: right, off: vMax, t0: uMin, t1: uMax },
    { out: [-right[0], -right[1]], tan: down, off: -uMin, t0: vMin, t1: vMax },
  ];
  const sides: SideFit[] = [];
  for (const sd of sideDefs) {
    const margin = radiusPx + search + 2;
    const t0 = sd.t0 + margin, t1 = sd.t1 - margin;
    if (!(t1 > t0)) throw createError('GB_VISION_FAILED', 'card side too short for its corner radius');
    const samples = Math.min(400, Math.max(20, Math.floor(t1 - t0)));
    const xs: number[] = [], ys: number[] = [];
    for (let s = 0; s < samples; s++) {
      const t = t0 + ((t1 - t0) * (s + 0.5)) / samples;
      // Start inside the card, walk outwards across the edge.
      const px = cx + sd.tan[0] * t + sd.out[0] * (sd.off - search);
      const py = cy + sd.tan[1] * t + sd.out[1] * (sd.off - search);
      const pos = edgeCrossing(planes, width, height, px, py, sd.out[0], sd.out[1], 2 * search, search, Math.max(2, search / 3));
      if (pos === undefined) continue;
      xs.push(px + sd.out[0] * pos);
      ys.push(py + sd.out[1] * pos);
    }
    const fit = fitLine(xs, ys, sd.out);
    if (!fit || fit.inliers < 10) throw createError('GB_VISION_FAILED', `could not fit card side ${sides.length + 1} (${xs.length} edge points)`);
    sides.push(fit);
  }
  const corners: [number, number][] = [curveCorner(sides[3], sides[0]), curveCorner(sides[0], sides[1]), curveCorner(sides[1], sides[2]), curveCorner(sides[2], sides[3])];
  // Corner radii: along the inward bisector the arc lies r(√2 − 1) from the virtual corner.
  const cornerRadiiPx = corners.map(([x, y], k) => {
    const a = sides[(k + 3) % 4], b = sides[k];
    let bx = -(a.a + b.a), by = -(a.b + b.b);
    const bl = Math.hypot(bx, by);
    bx /= bl; by /= bl;
    const expect = radiusPx * (Math.SQRT2 - 1);
    const len = expect + 2 * search;
    // Walk from inside towards the corner so the profile starts on the card.
    const sxp = x + bx * len, syp = y + by * len;
    const pos = edgeCrossing(planes, width, height, sxp, syp, -bx, -by, len + search, len - expect, Math.max(2, search / 3));
    return pos === undefined ? NaN : (len - pos) / (Math.SQRT2 - 1);
  });
  const side = (p: [number, number], q: [number, number]): number => Math.hypot(p[0] - q[0], p[1] - q[1]);
  const widthPx = (side(corners[0], corners[1]) + side(corners[3], corners[2])) / 2;
  const heightPx = (side(corners[0], corners[3]) + side(corners[1], corners[2])) / 2;
  const umPerPx = ((card.widthMm * 1000) / widthPx + (card.heightMm * 1000) / heightPx) / 2;
  const canonUm = options.canonicalUmPerPx ?? Math.max(1, Math.round(um));
  const cw = (card.widthMm * 1000) / canonUm;
  const ch = (card.heightMm * 1000) / canonUm;
  // Canonical pixel centres at integers; the card spans [−0.5, cw − 0.5] × [−0.5, ch − 0.5].
  const canonicalToImage = homographyFromPoints(
    [[-0.5, -0.5], [cw - 0.5, -0.5], [cw - 0.5, ch - 0.5], [-0.5, ch - 0.5]],
    corners,
  );
  return { corners, sides, cornerRadiiPx, umPerPx, canonicalToImage, canonicalWidth: Math.round(cw), canonicalHeight: Math.round(ch), canonicalUmPerPx: canonUm };
}
