import { median, medianInPlace, quantile, robustLine, robustSigma, sample, sideNames, toCardMm, type CardFrame, type EdgeName, type LineFit } from './card-frame.ts';
import type { CardSideMaps, CornerName } from './types.ts';

// The card's outline measured on the rectified maps against the background kept around the card: each
// side's outer edge to sub-pixel accuracy (albedo profiles across the edge, crossing halfway between the
// tray and the card, robust line fit along the side), its deviations (chips, roughness), whitening just
// inside it and dents in the relief along it; each corner's rounding radius (fit of a rounded corner to
// outline points found along rays), fray, fill, whitening and dings.

/** One side's outer edge: map position (px) inward from the nominal edge, as a line over the along-side coordinate. */
export interface EdgeLine {
  edge: EdgeName;
  /** Inward offset from the nominal edge, px: a + b·t (t = map x for top/bottom, map y for left/right). */
  fit: LineFit;
  /** Range of t measured (the straight part, corners excluded), px. */
  t0: number;
  t1: number;
}

/** A chip: a stretch where the outline lies inside the fitted edge. */
export interface EdgeChip {
  centerMm: [number, number];
  lengthMm: number;
  /** Deepest material loss from the edge line, µm. */
  depthUm: number;
}

/** A stretch of whitened edge (or corner) rim. */
export interface Whitening {
  centerMm: [number, number];
  lengthMm: number;
  /** Albedo of the rim over the albedo just inside it, minus 1, %. */
  excessPct: number;
}

/** Measurements of one side's edge. */
export interface EdgeMeasurement {
  edge: EdgeName;
  measurable: boolean;
  /** Why not, when not measurable. */
  reason?: string;
  /** Robust RMS of the outline about its line away from chips, µm. */
  roughnessUm: number;
  chips: EdgeChip[];
  maxChipDepthUm: number;
  whitening: Whitening[];
  maxWhiteningPct: number;
  /** Deepest dent in the relief along the edge (band 0.3–1.2 mm inside), µm. */
  dentDepthUm: number;
  dentCenterMm?: [number, number];
  line?: EdgeLine;
}

/** Measurements of one corner. */
export interface CornerMeasurement {
  corner: CornerName;
  measurable: boolean;
  reason?: string;
  /** Fitted rounding radius, mm. */
  radiusMm: number;
  /** Robust RMS of the outline about the fitted rounded corner, µm. */
  frayUm: number;
  /** Card material in the corner square (side = nominal radius + 0.5 mm) relative to a nominal corner, %. */
  fillPct: number;
  /** Rim whitening over the corner, %. */
  whiteningPct: number;
  /** Deepest dent in the relief within 3 mm of the corner, µm. */
  dingDepthUm: number;
  centerMm: [number, number];
}

export interface OutlineMeasurement {
  edges: EdgeMeasurement[];
  corners: CornerMeasurement[];
  /** Albedo of the tray and of the card near its edge (relative units) and their contrast. */
  backgroundLevel: number;
  cardLevel: number;
  contrast: number;
}

/** Position in map px of a point `d` px inward from the nominal edge `edge` at along-side coordinate t. */
export function edgePoint(f: CardFrame, edge: EdgeName, t: number, d: number): [number, number] {
  switch (edge) {
    case 'top': return [t, f.topPx + d];
    case 'bottom': return [t, f.bottomPx - d];
    case 'left': return [f.leftPx + d, t];
    case 'right': return [f.rightPx - d, t];
  }
}

/** sample(values, …, edgePoint(f, edge, t, d)) without building the point: millions of calls per 12 MP side. */
export function sampleAcross(values: Float32Array, w: number, h: number, f: CardFrame, edge: EdgeName, t: number, d: number): number {
  switch (edge) {
    case 'top': return sample(values, w, h, t, f.topPx + d);
    case 'bottom': return sample(values, w, h, t, f.bottomPx - d);
    case 'left': return sample(values, w, h, f.leftPx + d, t);
    case 'right': return sample(values, w, h, f.rightPx - d, t);
  }
}

/** Along-side range of a side (map px). */
function sideRange(f: CardFrame, edge: EdgeName): [number, number] {
  return edge === 'top' || edge === 'bottom' ? [f.leftPx, f.rightPx] : [f.topPx, f.bottomPx];
}

/** Runs of consecutive true flags: [start, end) index pairs. */
function runs(flags: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  let s = -1;
  for (let i = 0; i <= flags.length; i++) {
    if (i < flags.length && flags[i]) { if (s < 0) s = i; } else if (s >= 0) { out.push([s, i]); s = -1; }
  }
  return out;
}

// Profile step along rays and across edges, px (linear interpolation between samples does the rest).
const STEP = 0.5;
// Rays across a corner's outline are diagonal to the pixel grid: finer steps there.
const CORNER_STEP = 0.25;

/** Measure the outline: edges first (their lines fix the corners' frames), then the corners. */
export function measureOutline(maps: CardSideMaps, f: CardFrame): OutlineMeasurement {
  return runSteps(outlineSteps(maps, f));
}

/** A measurement in steps of a few ms: it yields between them (see measureSideAsync), returns its result. */
export type MeasurementSteps<T> = Generator<void, T, void>;

/** Run measurement steps to their end without a break. */
export function runSteps<T>(steps: MeasurementSteps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** {@link measureOutline} in steps: the levels, each edge, each corner. */
export function* outlineSteps(maps: CardSideMaps, f: CardFrame): MeasurementSteps<OutlineMeasurement> {
  const { widthPx: w, heightPx: h, albedo } = maps;
  const px = f.pxPerMm;
  const marginPx = Math.min(f.leftPx + 0.5, f.topPx + 0.5, w - 0.5 - f.rightPx, h - 0.5 - f.bottomPx);
  const radiusPx = f.card.cornerRadiusMm * px;
  // Background and card levels from all four sides (the tray beyond 0.5 mm outside, the card 0.5–1 mm in).
  // ~4·10⁵ samples on a 12 MP side: into float64 buffers sized by a first pass over the same loops (a
  // growing number[] cost more in reallocation and page faults than the sampling).
  let nBg = 0, nCard = 0;
  for (const edge of sideNames) {
    const [a, b] = sideRange(f, edge);
    for (let t = a + radiusPx + 2 * px; t < b - radiusPx - 2 * px; t += 4) {
      for (let d = -(marginPx - 1.5); d <= -0.5 * px; d += 1) nBg++;
      for (let d = 0.5 * px; d <= 1.0 * px; d += 1) nCard++;
    }
  }
  const bgVals = new Float64Array(nBg), cardVals = new Float64Array(nCard);
  nBg = 0; nCard = 0;
  for (const edge of sideNames) {
    const [a, b] = sideRange(f, edge);
    for (let t = a + radiusPx + 2 * px; t < b - radiusPx - 2 * px; t += 4) {
      const { bx, by, ax, ay } = across(f, edge, t);
      for (let d = -(marginPx - 1.5); d <= -0.5 * px; d += 1) bgVals[nBg++] = sample(albedo, w, h, bx + ax * d, by + ay * d);
      for (let d = 0.5 * px; d <= 1.0 * px; d += 1) cardVals[nCard++] = sample(albedo, w, h, bx + ax * d, by + ay * d);
    }
  }
  const bg = medianInPlace(bgVals), cardLevel = medianInPlace(cardVals);
  const contrast = Math.abs(cardLevel - bg) / Math.max(Math.abs(cardLevel), Math.abs(bg), 1e-12);
  const out: OutlineMeasurement = { edges: [], corners: [], backgroundLevel: bg, cardLevel, contrast };
  if (!(marginPx >= 3) || !(contrast >= 0.15)) {
    const reason = !(marginPx >= 3) ? 'no background around the card in the maps' : `card and tray albedo too alike (contrast ${(contrast * 100).toFixed(0)}%)`;
    for (const edge of sideNames) out.edges.push({ edge, measurable: false, reason, roughnessUm: NaN, chips: [], maxChipDepthUm: NaN, whitening: [], maxWhiteningPct: NaN, dentDepthUm: NaN });
    for (const corner of ['tl', 'tr', 'br', 'bl'] as const) out.corners.push({ corner, measurable: false, reason, radiusMm: NaN, frayUm: NaN, fillPct: NaN, whiteningPct: NaN, dingDepthUm: NaN, centerMm: cornerCentreMm(f, corner) });
    return out;
  }
  yield;
  for (const edge of sideNames) { out.edges.push(measureEdge(maps, f, edge, bg, marginPx)); yield; }
  for (const corner of ['tl', 'tr', 'br', 'bl'] as const) { out.corners.push(measureCorner(maps, f, corner, out.edges, bg, marginPx)); yield; }
  // An edge's ends run into its corners: material a worn corner lost is the corner's, not a chip.
  for (const e of out.edges) {
    const inCorner = (p: [number, number]): boolean => out.corners.some((c) => {
      const zone = (Number.isFinite(c.radiusMm) ? Math.max(c.radiusMm, f.card.cornerRadiusMm) : f.card.cornerRadiusMm) + 0.3;
      return Math.abs(p[0] - c.centerMm[0]) < zone && Math.abs(p[1] - c.centerMm[1]) < zone;
    });
    e.chips = e.chips.filter((c) => !inCorner(c.centerMm));
    e.whitening = e.whitening.filter((x) => !inCorner(x.centerMm));
    e.maxChipDepthUm = e.chips.reduce((m, c) => Math.max(m, c.depthUm), 0);
    e.maxWhiteningPct = e.whitening.reduce((m, x) => Math.max(m, x.excessPct), 0);
  }
  return out;
}

/** Card-frame position of a card's corner tip (the virtual sharp corner), mm. */
function cornerCentreMm(f: CardFrame, c: CornerName): [number, number] {
  const hw = f.card.widthMm / 2, hh = f.card.heightMm / 2;
  return [c === 'tl' || c === 'bl' ? -hw : hw, c === 'tl' || c === 'tr' ? hh : -hh];
}

/** Mean of the map over d ∈ [d0, d1] px inward at t. */
function bandMean(values: Float32Array, w: number, h: number, f: CardFrame, edge: EdgeName, t: number, d0: number, d1: number): number {
  const { bx, by, ax, ay } = across(f, edge, t);
  let s = 0, n = 0;
  for (let d = d0; d <= d1 + 1e-9; d += 0.5) { s += sample(values, w, h, bx + ax * d, by + ay * d); n++; }
  return s / n;
}

/**
 * The line across an edge at t as (bx + ax·d, by + ay·d), d inward: the point sampleAcross samples, with
 * the edge decided once per line instead of per sample. The same coordinates to the bit: ±1·d is ±d and
 * t + 0·d is t (a zero of either sign added), so loops over d read exactly what sampleAcross reads.
 */
export function across(f: CardFrame, edge: EdgeName, t: number): { bx: number; by: number; ax: number; ay: number } {
  switch (edge) {
    case 'top': return { bx: t, by: f.topPx, ax: 0, ay: 1 };
    case 'bottom': return { bx: t, by: f.bottomPx, ax: 0, ay: -1 };
    case 'left': return { bx: f.leftPx, by: t, ax: 1, ay: 0 };
    case 'right': return { bx: f.rightPx, by: t, ax: -1, ay: 0 };
  }
}

function measureEdge(maps: CardSideMaps, f: CardFrame, edge: EdgeName, bg: number, marginPx: number): EdgeMeasurement {
  const { widthPx: w, heightPx: h, albedo, reliefUm, mask } = maps;
  const px = f.pxPerMm;
  const [a, b] = sideRange(f, edge);
  const skip = f.card.cornerRadiusMm * px + 0.5 * px;
  const dOut = -(marginPx - 1), dIn = 1.5 * px;
  const count = Math.floor((dIn - dOut) / STEP) + 1;
  const ts: number[] = [], es: number[] = [], inner: number[] = [];
  // At most ~800 points per side: a 12 MP side costs what a small one does.
  const stride = Math.max(1, Math.round((b - a - 2 * skip) / 800));
  for (let t = Math.ceil(a + skip); t <= b - skip; t += stride) {
    // The card's level at this point of the side (0.5–1 mm in): borders vary little, full art does.
    const local = bandMean(albedo, w, h, f, edge, t, 0.5 * px, 1.0 * px);
    const mid = 0.5 * (local + bg);
    // From the tray inwards: the outermost card material is the outline (a frayed fibre counts as card).
    // Profile samples from the tray inwards, computed only as far as the crossing.
    const k = crossingAcross(albedo, w, h, f, edge, t, dOut, count, mid);
    if (k === undefined) continue;
    ts.push(t); es.push(dOut + k * STEP); inner.push(local);
  }
  const empty: EdgeMeasurement = { edge, measurable: false, roughnessUm: NaN, chips: [], maxChipDepthUm: NaN, whitening: [], maxWhiteningPct: NaN, dentDepthUm: NaN };
  if (ts.length < (0.5 * (b - a - 2 * skip)) / stride) return { ...empty, reason: `outline found at only ${ts.length} points` };
  const fit = robustLine(ts, es, 0.05);
  if (!fit) return { ...empty, reason: 'no line through the outline points' };
  const dev = ts.map((t, i) => es[i] - fit.a - fit.b * t);
  const sigma = Math.max(robustSigma(dev), 0.03);
  // A chip: material missing beyond 4σ and at least 50 µm.
  const chipThr = Math.max(4 * sigma, 0.05 * px);
  // Bites less than 2 mm apart are one chipped stretch (how graders count chips; also keeps the count from
  // depending on whether a shallow gap between two bites dips under the threshold).
  const chipRuns: [number, number][] = [];
  for (const r of runs(dev.map((d) => d > chipThr))) {
    const last = chipRuns[chipRuns.length - 1];
    if (last && ts[r[0]] - ts[last[1] - 1] < 2 * px) last[1] = r[1];
    else chipRuns.push([r[0], r[1]]);
  }
  const chips: EdgeChip[] = [];
  const inChip = new Array<boolean>(dev.length).fill(false);
  for (const [s, e] of chipRuns) {
    let deepest = 0, at = s;
    for (let i = s; i < e; i++) { inChip[i] = true; if (dev[i] > deepest) { deepest = dev[i]; at = i; } }
    const mid = edgePoint(f, edge, ts[at], fit.a + fit.b * ts[at]);
    chips.push({ centerMm: toCardMm(f, mid[0], mid[1]), lengthMm: (ts[e - 1] - ts[s] + stride) / px, depthUm: (deepest / px) * 1000 });
  }
  const smooth = dev.filter((_, i) => !inChip[i]);
  const roughnessUm = (Math.sqrt(smooth.reduce((s, d) => s + d * d, 0) / Math.max(1, smooth.length)) / px) * 1000;
  // Whitening: the rim (1 px inside the outline, 0.3 mm wide) brighter than the band 0.6–1.0 mm in.
  const rimW = Math.max(1, 0.15 * px);
  const excess = ts.map((t, i) => {
    const e = fit.a + fit.b * t + Math.max(0, dev[i]);
    const rim = bandMean(albedo, w, h, f, edge, t, e + 1, e + 1 + rimW);
    return rim / Math.max(1e-12, inner[i]) - 1;
  });
  const whitening: Whitening[] = [];
  for (const [s, e] of runs(excess.map((x) => x > 0.08))) {
    if ((ts[e - 1] - ts[s] + stride) < 0.5 * px) continue;
    const midI = (s + e - 1) >> 1;
    const p = edgePoint(f, edge, ts[midI], fit.a + fit.b * ts[midI]);
    whitening.push({ centerMm: toCardMm(f, p[0], p[1]), lengthMm: (ts[e - 1] - ts[s] + stride) / px, excessPct: 100 * quantile(excess.slice(s, e), 0.9) });
  }
  // Dents: relief along the edge (the band 0.3–1.2 mm in) below the surface the bands 1.5–2.5 and 2.5–3.5 mm
  // in continue to it (a straight line through their means), smoothed over 1 mm. Against that line, not
  // the inner band alone: a tilt across the edge is not a dent. Holo foil's normals, integrated, warp the
  // relief by up to ~20 µm/mm a few cm away (a card from scripts/eval/foreign_card.py), which read as
  // 24 µm edge dents against a flat reference.
  const deficit = ts.map((t) => {
    // Not at a chip: the relief is integrated on the nominal outline, so it is unreliable where card is missing.
    if (chipRuns.some(([s0, e0]) => t > ts[s0] - 1.5 * px && t < ts[e0 - 1] + 1.5 * px)) return 0;
    const p0 = edgePoint(f, edge, t, 1.2 * px);
    if (!mask[Math.round(p0[1]) * w + Math.round(p0[0])]) return 0;
    const near = bandMean(reliefUm, w, h, f, edge, t, 1.5 * px, 2.5 * px), far = bandMean(reliefUm, w, h, f, edge, t, 2.5 * px, 3.5 * px);
    // Band centres 0.75, 2 and 3 mm in: the line through the outer two, at 0.75 mm.
    const expected = near + (near - far) * 1.25;
    return expected - bandMean(reliefUm, w, h, f, edge, t, 0.3 * px, 1.2 * px);
  });
  const win = Math.max(1, Math.round(px / 2 / stride));
  let dentDepthUm = 0, dentAt = -1;
  for (let i = win; i + win < deficit.length; i++) {
    let s = 0;
    for (let j = i - win; j <= i + win; j++) s += deficit[j];
    s /= 2 * win + 1;
    if (s > dentDepthUm) { dentDepthUm = s; dentAt = i; }
  }
  const dentP = dentAt >= 0 ? edgePoint(f, edge, ts[dentAt], 0.75 * px) : undefined;
  return {
    edge, measurable: true, roughnessUm, chips, maxChipDepthUm: chips.reduce((m, c) => Math.max(m, c.depthUm), 0),
    whitening, maxWhiteningPct: whitening.reduce((m, x) => Math.max(m, x.excessPct), 0),
    dentDepthUm, dentCenterMm: dentP ? toCardMm(f, dentP[0], dentP[1]) : undefined,
    line: { edge, fit, t0: ts[0], t1: ts[ts.length - 1] },
  };
}

/** Offset (px, inward) of an edge line at t; the nominal edge when the edge was not measured. */
function edgeOffset(edges: EdgeMeasurement[], edge: EdgeName, t: number): number {
  const l = edges.find((e) => e.edge === edge)?.line;
  return l ? l.fit.a + l.fit.b * t : 0;
}

/**
 * Steps of CORNER_STEP a ray from (rs, rs) along (dx, dy) takes before it leaves the map (α or β below
 * `limit`) or reaches `maxLen`: the k at which stepping one at a time would stop, found by bisection
 * (k·CORNER_STEP is exact, and each bound is monotone along the ray).
 */
function rayStepsInside(rs: number, dx: number, dy: number, limit: number, maxLen: number): number {
  const out = (k: number): boolean => rs + dx * (k * CORNER_STEP) < limit || rs + dy * (k * CORNER_STEP) < limit;
  // The first k with k·CORNER_STEP ≥ maxLen (CORNER_STEP is a power of two: the division is exact).
  const kMax = Math.ceil(maxLen / CORNER_STEP);
  if (out(0)) return 0;
  if (!out(kMax)) return kMax;
  let lo = 0, hi = kMax; // out(lo) false, out(hi) true
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (out(mid)) hi = mid; else lo = mid;
  }
  return hi;
}

/**
 * Where the albedo profile across an edge at t first crosses `level`, from the tray inwards: firstCrossingOf
 * (card-frame.ts) of j ↦ sampleAcross(…, t, dOut + j·STEP) over j = 0 … count − 1, written out so that no
 * closure is called per sample (~10⁶ samples per 12 MP side). The same arithmetic, the same result
 * (test/grading/card-frame.test.ts compares the two).
 */
export function crossingAcross(albedo: Float32Array, w: number, h: number, f: CardFrame, edge: EdgeName, t: number, dOut: number, count: number, level: number): number | undefined {
  const { bx, by, ax, ay } = across(f, edge, t);
  const at = (d: number): number => sample(albedo, w, h, bx + ax * d, by + ay * d);
  let a = count - 1 !== 0 ? at(dOut + 0 * STEP) - level : 0;
  for (let j = 0; j !== count - 1; j++) {
    const b = at(dOut + (j + 1) * STEP) - level;
    if (a === 0) return j;
    if ((a > 0) !== (b > 0)) return j + a / (a - b);
    a = b;
  }
  return undefined;
}

/**
 * Where the albedo along a corner's ray first crosses `level`, from its outer end (step n − 1, in the tray)
 * inwards: firstCrossingOf of i ↦ sample(albedo, Q + s·(rs + d·i·CORNER_STEP)) from n − 1 down to 0, written
 * out (no closure call per sample); the same arithmetic, the same result (card-frame.test.ts).
 */
export function crossingAlongRay(albedo: Float32Array, w: number, h: number, Q: [number, number], sx: number, sy: number, rs: number, dx: number, dy: number, n: number, level: number): number | undefined {
  let a = n - 1 !== 0 ? sample(albedo, w, h, Q[0] + sx * (rs + dx * (n - 1) * CORNER_STEP), Q[1] + sy * (rs + dy * (n - 1) * CORNER_STEP)) - level : 0;
  for (let i = n - 1; i !== 0; i--) {
    const b = sample(albedo, w, h, Q[0] + sx * (rs + dx * (i - 1) * CORNER_STEP), Q[1] + sy * (rs + dy * (i - 1) * CORNER_STEP)) - level;
    if (a === 0) return i;
    if ((a > 0) !== (b > 0)) return i + (-1 * a) / (a - b);
    a = b;
  }
  return undefined;
}

/**
 * The rounding radius (px) whose rounded corner fits the outline points (α, β) best: least squares of
 * each point's distance from the rounded outline, clipped at 0.15 mm, over R from 0.05 mm to rs − 0.3 mm in
 * 0.01 mm steps (the first R of the least cost).
 */
export function fitCornerRadius(pts: [number, number][], rNom: number, rs: number, px: number): number {
  const clip = 0.15 * px;
  let bestR = rNom, bestCost = Infinity;
  // Each point's cost outside the rounded part (the straight sides: distance min(α, β)) does not depend
  // on R: computed once. Summed in the same order as before, so the costs are the same to the bit.
  const np = pts.length, clip2 = clip * clip;
  const AL = new Float64Array(np), BE = new Float64Array(np), straight = new Float64Array(np);
  for (let i = 0; i < np; i++) {
    const [al, be] = pts[i];
    const d = Math.min(al, be);
    AL[i] = al; BE[i] = be; straight[i] = Math.min(d * d, clip2);
  }
  for (let R = 0.05 * px; R <= rs - 0.3 * px; R += 0.01 * px) {
    let cost = 0;
    for (let i = 0; i < np; i++) {
      const al = AL[i], be = BE[i];
      if (al < R && be < R) {
        // Most points lie far from a rounded corner of this R (|d| well over the clip): their cost is
        // clip² whatever the last bits of the distance, so √(u² + v²) decides that, and Math.hypot (a
        // call, ~10× dearer; it can differ from the square root in the last bits only) runs for the points
        // near the clip. The margin is ~10⁶ times those bits: the cost is the same to the bit.
        const u = R - al, v = R - be;
        const hApprox = Math.sqrt(u * u + v * v);
        if (Math.abs(R - hApprox) > clip + 1e-9 * (R + hApprox)) { cost += clip2; continue; }
        const d = R - Math.hypot(u, v);
        cost += Math.min(d * d, clip2);
      } else cost += straight[i];
    }
    if (cost < bestCost) { bestCost = cost; bestR = R; }
  }
  return bestR;
}

function measureCorner(maps: CardSideMaps, f: CardFrame, corner: CornerName, edges: EdgeMeasurement[], bg: number, marginPx: number): CornerMeasurement {
  const { widthPx: w, heightPx: h, albedo, reliefUm, mask } = maps;
  const px = f.pxPerMm;
  const vEdge: EdgeName = corner === 'tl' || corner === 'bl' ? 'left' : 'right';
  const hEdge: EdgeName = corner === 'tl' || corner === 'tr' ? 'top' : 'bottom';
  const sx = vEdge === 'left' ? 1 : -1, sy = hEdge === 'top' ? 1 : -1;
  // The virtual sharp corner from the two measured side lines (tiny slopes: evaluate each at the other's edge).
  const xEdge0 = vEdge === 'left' ? f.leftPx : f.rightPx, yEdge0 = hEdge === 'top' ? f.topPx : f.bottomPx;
  const qy = yEdge0 + sy * edgeOffset(edges, hEdge, xEdge0);
  const qx = xEdge0 + sx * edgeOffset(edges, vEdge, qy);
  const qy2 = yEdge0 + sy * edgeOffset(edges, hEdge, qx);
  const Q: [number, number] = [qx, qy2];
  // Corner-local coordinates (α inward from the vertical side, β inward from the horizontal side), px.
  const toMap = (al: number, be: number): [number, number] => [Q[0] + sx * al, Q[1] + sy * be];
  // The albedo at corner-local (α, β) (toMap without building the point: the rays sample a lot).
  const albedoAt = (al: number, be: number): number => sample(albedo, w, h, Q[0] + sx * al, Q[1] + sy * be);
  const rNom = f.card.cornerRadiusMm * px;
  const rs = rNom + 2 * px;
  const centerMm = toCardMm(f, Q[0], Q[1]);
  const base = { corner, centerMm };
  // Card level near the corner: the border just inside the straight parts next to it.
  const cardVals: number[] = [];
  for (let u = rs; u < rs + 2 * px; u += 1) for (let d = 0.5 * px; d <= 1.0 * px; d += 1) { cardVals.push(albedoAt(d, u)); cardVals.push(albedoAt(u, d)); }
  const cardLevel = median(cardVals);
  const mid = 0.5 * (cardLevel + bg);
  const pts: [number, number][] = [];
  const whiteVals: number[] = [];
  // About two rays per px of arc: the radius is a fit over all of them.
  const nRays = Math.max(60, Math.round(rs * 2.5));
  for (let k = 0; k <= nRays; k++) {
    const phi = ((-20 + (130 * k) / nRays) * Math.PI) / 180;
    const dx = -Math.cos(phi), dy = -Math.sin(phi);
    // The ray from (rs, rs) outwards, as far as the tray beyond the card (leave one px of the map).
    const n = rayStepsInside(rs, dx, dy, -(marginPx - 1), 3 * rs);
    if (n < 8) continue;
    // From the tray inwards, sampled only as far as the crossing.
    const c = crossingAlongRay(albedo, w, h, Q, sx, sy, rs, dx, dy, n, mid);
    if (c === undefined) continue;
    const r = c * CORNER_STEP;
    const al = rs + dx * r, be = rs + dy * r;
    pts.push([al, be]);
    if (phi > (25 * Math.PI) / 180 && phi < (65 * Math.PI) / 180) {
      const rim = (albedoAt(al - dx * 1.5, be - dy * 1.5) + albedoAt(al - dx * 2.5, be - dy * 2.5)) / 2;
      const ref = albedoAt(al - dx * 0.9 * px, be - dy * 0.9 * px);
      whiteVals.push(rim / Math.max(1e-12, ref) - 1);
    }
  }
  if (pts.length < nRays / 2) return { ...base, measurable: false, reason: `corner outline found on only ${pts.length} of ${nRays + 1} rays`, radiusMm: NaN, frayUm: NaN, fillPct: NaN, whiteningPct: NaN, dingDepthUm: NaN };
  // Rounded corner of radius R: distance of (α, β) from its outline (positive = inside the card).
  const dist = (R: number, al: number, be: number): number => (al < R && be < R ? R - Math.hypot(R - al, R - be) : Math.min(al, be));
  const bestR = fitCornerRadius(pts, rNom, rs, px);
  const arcRes = pts.filter(([al, be]) => al < bestR && be < bestR).map(([al, be]) => dist(bestR, al, be));
  // Fray: the jagged part of the outline, not how well a circle fits (a worn corner is rarely one): the
  // residuals (in ray order, i.e. along the arc) minus their running mean over ~0.6 mm of arc.
  const half = Math.max(2, Math.round((0.3 * px * nRays) / (((130 * Math.PI) / 180) * rs)));
  let ss = 0;
  for (let i = 0; i < arcRes.length; i++) {
    let m = 0, n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(arcRes.length - 1, i + half); j++) { m += arcRes[j]; n++; }
    ss += (arcRes[i] - m / n) ** 2;
  }
  const frayPx = arcRes.length ? Math.sqrt(ss / arcRes.length) : 0;
  // Fill: card area in the corner square of side s, from the fitted radius and the outline's mean loss.
  const s = rNom + 0.5 * px;
  const cut = (R: number): number => R * R * (1 - Math.PI / 4);
  const meanLoss = arcRes.length ? Math.max(0, arcRes.reduce((a, d) => a + d, 0) / arcRes.length) : 0;
  const present = s * s - cut(Math.min(bestR, s)) - meanLoss * (Math.PI / 2) * bestR;
  const fillPct = (100 * present) / (s * s - cut(rNom));
  // Dings: the relief within 3 mm of the corner (on the card), 3×3-smoothed, less the plane it tilts along
  // (fitted to the upper 70 % of the points, so a ding does not pull the plane into itself): its median
  // minus its minimum. Against the plane, not the raw median: a tilt over the corner's 3 mm is no ding
  // (holo foil's integrated normals tilted the relief at a corner by ~19 µm/mm, read as 26–45 µm dings).
  const rel: number[] = [], relA: number[] = [], relB: number[] = [];
  const dStep = Math.max(1, px / 10);
  for (let be = 0.3 * px; be < 3.5 * px; be += dStep) {
    for (let al = 0.3 * px; al < 3.5 * px; al += dStep) {
      // Only well inside what is left of the card: a worn corner's lost material is no dent, and the
      // relief is integrated on the nominal outline, so it is unreliable near a worn one.
      if (dist(bestR, al, be) < 0.8 * px) continue;
      const [x, y] = toMap(al, be);
      const xi = Math.round(x), yi = Math.round(y);
      if (xi < 1 || yi < 1 || xi >= w - 1 || yi >= h - 1 || !mask[yi * w + xi] || !mask[(yi - 1) * w + xi - 1] || !mask[(yi + 1) * w + xi + 1]) continue;
      let sm = 0;
      for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) sm += reliefUm[(yi + j) * w + xi + i];
      rel.push(sm / 9);
      relA.push(al / px);
      relB.push(be / px);
    }
  }
  const dingDepthUm = rel.length ? dingBelowPlaneUm(rel, relA, relB) : 0;
  return {
    ...base, measurable: true, radiusMm: bestR / px, frayUm: (frayPx / px) * 1000, fillPct,
    whiteningPct: whiteVals.length ? Math.max(0, 100 * median(whiteVals)) : 0, dingDepthUm,
  };
}

/**
 * A corner's ding depth: the relief samples (µm at corner-local a, b mm) less the plane a + b tilts them
 * along, median minus minimum. The plane is fitted by least squares, then again to the points whose
 * residual is above its 30th percentile (a ding's points are the low ones). Fewer than 10 points or a
 * degenerate fit: median minus minimum of the samples as they are.
 */
export function dingBelowPlaneUm(v: number[], a: number[], b: number[]): number {
  const n = v.length;
  const raw = (): number => Math.max(0, median(v) - Math.min(...v));
  if (n < 10) return raw();
  let keep = v.map(() => true);
  let res: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    // Normal equations of v ≈ c0 + c1·a + c2·b over the kept points.
    let s1 = 0, sa = 0, sb = 0, saa = 0, sab = 0, sbb = 0, sv = 0, sav = 0, sbv = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i] || !Number.isFinite(v[i])) continue;
      s1++; sa += a[i]; sb += b[i]; saa += a[i] * a[i]; sab += a[i] * b[i]; sbb += b[i] * b[i];
      sv += v[i]; sav += a[i] * v[i]; sbv += b[i] * v[i];
    }
    const det = s1 * (saa * sbb - sab * sab) - sa * (sa * sbb - sab * sb) + sb * (sa * sab - saa * sb);
    if (s1 < 10 || Math.abs(det) < 1e-9) return raw();
    // Cramer's rule.
    const c0 = (sv * (saa * sbb - sab * sab) - sa * (sav * sbb - sab * sbv) + sb * (sav * sab - saa * sbv)) / det;
    const c1 = (s1 * (sav * sbb - sbv * sab) - sv * (sa * sbb - sab * sb) + sb * (sa * sbv - sav * sb)) / det;
    const c2 = (s1 * (saa * sbv - sab * sav) - sa * (sa * sbv - sav * sb) + sv * (sa * sab - saa * sb)) / det;
    res = v.map((x, i) => x - (c0 + c1 * a[i] + c2 * b[i]));
    const cut = [...res].filter(Number.isFinite).sort((p, q) => p - q)[Math.floor(0.3 * n)];
    keep = res.map((r) => r >= cut);
  }
  const finite = res.filter(Number.isFinite);
  return finite.length ? Math.max(0, median(finite) - Math.min(...finite)) : raw();
}
