import { firstCrossing, median, medianInPlace, robustLine, robustSigmaOf, sample, sideNames, type CardFrame, type EdgeName } from './card-frame.ts';
import { across as lineAcross, runSteps, type MeasurementSteps, type OutlineMeasurement } from './outline.ts';
import type { CardSideMaps } from './types.ts';

// Centering: the print frame's edge (the border's inner edge) found inward from the measured outer edge on
// every scanline across each border: the border's own level (0.4–0.9 mm in), the first sustained departure
// from it, and the sub-pixel crossing halfway between the border and what follows; a robust line through
// those points per side. Each border's width is taken at both ends of the side; the ratio of opposite
// borders at the worse end is the centering (a diamond-cut card is off-centre at one end only).

/** One border's width at the two ends of its side (top/left end first), mm. */
export interface BorderWidth {
  edge: EdgeName;
  measurable: boolean;
  reason?: string;
  endsMm: [number, number];
  /** Mean of the two ends, mm. */
  meanMm: number;
  /** Robust RMS of the inner-edge points about their line, µm. */
  residualUm: number;
  inlierFraction: number;
}

export interface CenteringMeasurement {
  measurable: boolean;
  /** Why not (full art, no border found), when not measurable. */
  reason?: string;
  borders: BorderWidth[];
  /** [larger share, smaller share] %, at the worse end. Undefined when not measurable. */
  leftRight?: [number, number];
  topBottom?: [number, number];
  /** Which share is the larger: the left (or top) border is wider. */
  leftWider?: boolean;
  topWider?: boolean;
  /** Mean border widths, mm. */
  bordersMm?: { left: number; right: number; top: number; bottom: number };
}

// Borders narrower than this are not borders (an outline's whitened rim, a full-art card's edge detail).
const MIN_BORDER_MM = 0.4;
// The print frame must follow the card edge: inner-edge points scatter less than this about their line.
const MAX_RESIDUAL_MM = 0.12;
const MIN_INLIERS = 0.5;

/** The inner edge of one border (the print frame), as widths at both ends of the side. */
function measureBorder(maps: CardSideMaps, f: CardFrame, outline: OutlineMeasurement, edge: EdgeName): BorderWidth {
  const { widthPx: w, heightPx: h, albedo } = maps;
  const px = f.pxPerMm;
  const none = (reason: string): BorderWidth => ({ edge, measurable: false, reason, endsMm: [NaN, NaN], meanMm: NaN, residualUm: NaN, inlierFraction: 0 });
  const em = outline.edges.find((e) => e.edge === edge);
  if (!em?.line) return none(`outer edge not measured (${em?.reason ?? 'unknown'})`);
  const line = em.line;
  const outer = (t: number): number => line.fit.a + line.fit.b * t;
  const across = edge === 'top' || edge === 'bottom' ? f.card.heightMm : f.card.widthMm;
  // Search up to a quarter of the card across this side: borders are a few mm, off-centre ones up to ~8.
  const maxD = Math.min(across / 4, 15) * px;
  const t0 = line.t0 + 0.5 * px, t1 = line.t1 - 0.5 * px;
  const ts: number[] = [], ds: number[] = [];
  const flatness: number[] = [];
  const n = Math.floor(maxD);
  // One profile sample per px (linear interpolation between them locates the crossing to a small fraction
  // of a pixel); at most ~600 lines per side, so a 12 MP side costs what a small one does.
  const prof = new Float64Array(n);
  const stride = Math.max(1, Math.round((t1 - t0) / 600));
  const k0 = Math.round(0.4 * px), k1 = Math.max(k0 + 2, Math.round(0.9 * px));
  // The line's profile, sampled on demand as far as the search reaches (`filled` samples so far).
  // (sampleAcross(…, t, e + k) along the line `lineAcross` gives: the same coordinates, the edge decided once.)
  let t = 0, e = 0, filled = 0, bx = 0, by = 0, ax = 0, ay = 0;
  const at = (k: number): number => {
    while (filled <= k) { const d = e + filled; prof[filled] = sample(albedo, w, h, bx + ax * d, by + ay * d); filled++; }
    return prof[k];
  };
  // Working buffers for the medians, one set for all lines (an array per line was most of the cost in GC).
  const nBand = k1 - k0 + 1, nAfter = Math.max(2, Math.round(0.25 * px)) + 1;
  const band = new Float64Array(nBand), scratch = new Float64Array(Math.max(nBand, nAfter));
  for (t = Math.ceil(t0); t <= t1; t += stride) {
    e = outer(t);
    ({ bx, by, ax, ay } = lineAcross(f, edge, t));
    filled = 0;
    for (let k = k0; k <= k1; k++) band[k - k0] = at(k);
    for (let i = 0; i < nBand; i++) scratch[i] = band[i];
    const B = medianInPlace(scratch, nBand);
    const sig = robustSigmaOf(band, nBand, scratch);
    flatness.push(sig / Math.max(1e-12, Math.abs(B)));
    const thr = Math.max(0.15 * Math.abs(B), 5 * sig);
    // The first sustained departure (two samples in a row) from the border level.
    let k = k1;
    for (; k + 1 < n; k++) if (Math.abs(at(k) - B) > thr && Math.abs(at(k + 1) - B) > thr) break;
    if (k + 1 >= n) continue;
    // What follows the border: its level just past the departure (the keyline or the artwork).
    const kEnd = Math.min(n - 1, k + Math.max(2, Math.round(0.25 * px)));
    for (let i = 0; i <= kEnd - k; i++) scratch[i] = at(k + i);
    const after = medianInPlace(scratch, kEnd - k + 1);
    const c = firstCrossing(prof, 0.5 * (B + after), Math.max(k0, k - 2), k + 1);
    if (c === undefined) continue;
    ts.push(t); ds.push(e + c);
  }
  const span = t1 - t0;
  if (ts.length < (0.3 * span) / stride) return none(`print frame found on only ${ts.length} of ${Math.round(span / stride)} lines`);
  const fit = robustLine(ts, ds, 0.05);
  if (!fit) return none('no line through the print frame points');
  const widthAt = (t: number): number => (fit.a + fit.b * t - outer(t)) / px;
  const ends: [number, number] = [widthAt(t0), widthAt(t1)];
  const res: BorderWidth = { edge, measurable: true, endsMm: ends, meanMm: (ends[0] + ends[1]) / 2, residualUm: (fit.rms / px) * 1000, inlierFraction: fit.inlierFraction };
  if (fit.inlierFraction < MIN_INLIERS) return { ...res, measurable: false, reason: `print frame not straight (${(fit.inlierFraction * 100).toFixed(0)}% of lines agree)` };
  if (fit.rms / px > MAX_RESIDUAL_MM) return { ...res, measurable: false, reason: `print frame not straight (residual ${(fit.rms / px * 1000).toFixed(0)} µm)` };
  if (Math.min(...ends) < MIN_BORDER_MM) return { ...res, measurable: false, reason: `no border (${Math.min(...ends).toFixed(2)} mm)` };
  if (median(flatness) > 0.12) return { ...res, measurable: false, reason: 'no plain border (printed detail reaches the edge)' };
  return res;
}

/** Larger share first, % of the two borders' sum. */
function shares(a: number, b: number): [number, number] {
  const pa = (100 * a) / (a + b);
  return pa >= 50 ? [pa, 100 - pa] : [100 - pa, pa];
}

/** Centering of one side from its maps and measured outline. */
export function measureCentering(maps: CardSideMaps, f: CardFrame, outline: OutlineMeasurement): CenteringMeasurement {
  return runSteps(centeringSteps(maps, f, outline));
}

/** {@link measureCentering} in steps: one border each. */
export function* centeringSteps(maps: CardSideMaps, f: CardFrame, outline: OutlineMeasurement): MeasurementSteps<CenteringMeasurement> {
  const borders: BorderWidth[] = [];
  for (const edge of sideNames) { borders.push(measureBorder(maps, f, outline, edge)); yield; }
  const by = (e: EdgeName): BorderWidth => borders.find((b) => b.edge === e) as BorderWidth;
  const [top, right, bottom, left] = [by('top'), by('right'), by('bottom'), by('left')];
  const bad = borders.filter((b) => !b.measurable);
  if (bad.length > 0) {
    return { measurable: false, reason: `not measurable: ${bad.map((b) => `${b.edge} border: ${b.reason}`).join('; ')}`, borders };
  }
  // Left/right: widths at the top end (index 0) and the bottom end (1) of the vertical sides; the worse end.
  const lr = [0, 1].map((k) => shares(left.endsMm[k], right.endsMm[k]));
  const tb = [0, 1].map((k) => shares(top.endsMm[k], bottom.endsMm[k]));
  const kLr = lr[0][0] >= lr[1][0] ? 0 : 1, kTb = tb[0][0] >= tb[1][0] ? 0 : 1;
  return {
    measurable: true, borders,
    leftRight: lr[kLr], topBottom: tb[kTb],
    leftWider: left.endsMm[kLr] >= right.endsMm[kLr], topWider: top.endsMm[kTb] >= bottom.endsMm[kTb],
    bordersMm: { left: left.meanMm, right: right.meanMm, top: top.meanMm, bottom: bottom.meanMm },
  };
}
