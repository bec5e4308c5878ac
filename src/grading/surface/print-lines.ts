import type { CardSideMaps, SurfaceDefect } from '../types.ts';
import type { SurfacePostprocess } from './manifest.ts';
import { cardBoxOfMask, cornerOf, erodedCardMask } from './postprocess.ts';

// Print lines are measured, not learned. A print (roller) line is a narrow stripe of ink, 1–3 px wide at the
// surface model's 60 µm/px, that runs straight along one card axis over the whole card, because it runs
// over the whole printed sheet (borders included). The network sees ~100 px at a time and never finds them
// (surface-defects 1.2.1: held-out recall 0 %); a line that long is found instead by adding up the
// evidence along each column and row of the canonical card frame:
//  1. a narrow-ridge response of the albedo across the line (averaged over a few px along it): the centre
//     against the values `ridgeOffsetPx` either side, the smaller of the two differences when both have the
//     same sign (0 otherwise), relative to the two sides' mean (so the exposure and the print's brightness
//     drop out). Steps (art edges) give 0 (the two differences have opposite signs or one is 0), and so does
//     a stripe wider than ~2·offset (the 0.4 mm keyline: both sides are still on it);
//  2. per column (vertical line) and per row (horizontal line), the median of that response over the card
//     (the outline's margin left out) and over each of its two ends (the outermost `endZoneMm`): a line
//     reaches both ends of the card, art, the keyline, the text box's dashes and foil never do. Its score
//     is the smallest of the three in magnitude, when all three have the same sign. A path may also run
//     from one column's start to a neighbouring column's end (up to `maxAngleDeg` off the axis).
// Noise gives a median ~0 (its response is 0 a third of the time and symmetric otherwise); so do a line
// over half the card (its median over the length, or one end, is 0) and all the print the simulator paints.
// On the validation cards the faintest true line scored 0.024, the strongest false one 0.0012 (1.3.0's
// manifest, calibration.printLines); a few tens of ms of CPU per side at 60 µm/px (most columns and rows
// stop at their ends).

/** Thresholds of the print-line measurement (the model manifest's postprocess.printLineMinContrast). */
export interface PrintLineOptions {
  /** A line's score (relative albedo contrast, median along it and at both its ends) must reach this. */
  minContrast: number;
  /** Pixels closer than this to the card outline are left out (edge whitening runs along the edges), mm. */
  edgeMarginMm: number;
}

/** The centre is compared with the values this far either side, px of the measured map. */
const ridgeOffsetPx = 2;
/**
 * The albedo is averaged over 2·this + 1 px along the line before the ridge is taken: a print line is
 * straight along the axis, so its contrast stays while the noise drops by √5 (the weakest line, 0.05 mm
 * between two pixels on a bright border, is ~2 % against ~1–1.7 % noise per pixel).
 */
const alongHalfPx = 2;
/** The profile across a found line is taken out to this many px either side (widest line 0.2 mm = 3.3 px). */
const profileHalfPx = 3;
/** Each end of a line: the outermost part of its length checked on its own, mm (borders are ≥ ~1.2 mm). */
const endZoneMm = 1;
/**
 * A line may run at up to this angle to the card's axis: a print line follows the sheet, and a diamond-cut
 * card's print is turned against its edges (and the card frame's rectification is not exact). Each column's
 * (row's) start is tried against the ends up to tan(this) × the length away.
 */
const maxAngleDeg = 0.5;

/** One measured print line on the measured map (model grid) before it is turned into a defect. */
export interface PrintLineCandidate {
  orientation: 'vertical' | 'horizontal';
  /** Column (vertical) or row (horizontal) of the line's centre (half-way along it), sub-pixel, on the measured map. */
  positionPx: number;
  /** How far the line moves across from its start (`fromPx`) to its end (`toPx`), px (0: along the axis). */
  driftPx: number;
  /** First and last map pixel along the line where it was measured (the card inside its margin). */
  fromPx: number;
  toPx: number;
  /** Signed score: + lighter, − darker than either side (relative albedo). */
  score: number;
  /** Equivalent width across the line, px (integrated contrast over the peak contrast). */
  widthPx: number;
  /** Fraction of the length whose response has the line's sign (noise: ~1/3). */
  support: number;
}

function medianOf(v: Float32Array, n: number): number {
  if (n === 0) return 0;
  const s = v.subarray(0, n).sort();
  return n % 2 ? s[n >> 1] : (s[(n >> 1) - 1] + s[n >> 1]) / 2;
}

/**
 * Print lines on a side's maps at their own scale (the surface detector passes its maps resampled to the
 * model's 60 µm/px). Lines of both orientations whose score reaches `minContrast` in magnitude.
 */
export function measurePrintLines(maps: CardSideMaps, options: PrintLineOptions): PrintLineCandidate[] {
  const { widthPx: w, heightPx: h, albedo } = maps;
  const umPerPx = maps.umPerPx;
  const inner = erodedCardMask(maps.mask, w, h, Math.max(1, Math.round((options.edgeMarginMm * 1000) / umPerPx)));
  const endPx = Math.max(3, Math.round((endZoneMm * 1000) / umPerPx));
  const out: PrintLineCandidate[] = [];
  // Vertical lines: positions are columns (across step 1), the length runs down the rows (step w).
  out.push(...alongAxis('vertical', albedo, inner, w, h, 1, w, endPx, options.minContrast));
  out.push(...alongAxis('horizontal', albedo, inner, h, w, w, 1, endPx, options.minContrast));
  return out;
}

/** The ridge response of one pixel from its value and its two sides' (NaN readings compare false: 0). */
function ridge(c: number, l: number, r: number): number {
  const m = (l + r) / 2;
  const dl = c - l, dr = c - r;
  return m > 0 ? (dl > 0 && dr > 0 ? Math.min(dl, dr) / m : dl < 0 && dr < 0 ? Math.max(dl, dr) / m : 0) : 0;
}

/**
 * Lines along one axis: `nPos` positions (columns or rows) `posStride` apart, each `nAlong` px long with
 * `alongStride` between them. The ridge response is computed where it is read: at both ends of every
 * position, and along the whole (possibly slanted) path only between two ends that pass.
 */
function alongAxis(orientation: 'vertical' | 'horizontal', albedo: Float32Array, inner: Uint8Array, nPos: number, nAlong: number, posStride: number, alongStride: number, endPx: number, minContrast: number): PrintLineCandidate[] {
  const D = ridgeOffsetPx;
  const Ds = D * posStride;
  const K = alongHalfPx * alongStride;
  // The response at pixel i (NaN unless it, its sides and the pixels averaged along are inside the margin).
  const resp = (i: number): number => {
    if (!inner[i - K - Ds] || !inner[i - K + Ds] || !inner[i + K - Ds] || !inner[i + K + Ds] || !inner[i - K] || !inner[i + K]) return NaN;
    let c = 0, l = 0, r = 0;
    for (let j = i - K; j <= i + K; j += alongStride) { c += albedo[j]; l += albedo[j - Ds]; r += albedo[j + Ds]; }
    return ridge(c, l, r);
  };
  const buf = new Float32Array(nAlong);
  // Per position: the median response over its first and last `endPx` measured pixels, and where they start/end.
  const startMed = new Float32Array(nPos), endMed = new Float32Array(nPos);
  const first = new Int32Array(nPos).fill(-1), last = new Int32Array(nPos).fill(-1);
  for (let p = D; p < nPos - D; p++) {
    const base = p * posStride;
    let n0 = 0;
    for (let a = 0; a < nAlong && n0 < endPx; a++) {
      const v = resp(base + a * alongStride);
      if (v !== v) continue;
      if (first[p] < 0) first[p] = a;
      buf[n0++] = v;
    }
    if (n0 < endPx) { first[p] = -1; continue; }
    startMed[p] = medianOf(buf, n0);
    let n1 = 0;
    for (let a = nAlong - 1; a >= 0 && n1 < endPx; a--) {
      const v = resp(base + a * alongStride);
      if (v !== v) continue;
      if (last[p] < 0) last[p] = a;
      buf[n1++] = v;
    }
    endMed[p] = medianOf(buf, n1);
  }
  const maxDrift = Math.ceil(Math.tan((maxAngleDeg * Math.PI) / 180) * nAlong);
  interface Found { p: number; drift: number; from: number; to: number; score: number; support: number }
  const found: Found[] = [];
  for (let p = D; p < nPos - D; p++) {
    const m0 = startMed[p];
    if (first[p] < 0 || !(Math.abs(m0) >= minContrast)) continue;
    for (let q = Math.max(D, p - maxDrift); q <= Math.min(nPos - D - 1, p + maxDrift); q++) {
      const m1 = endMed[q];
      if (first[q] < 0 || !(Math.abs(m1) >= minContrast) || Math.sign(m1) !== Math.sign(m0)) continue;
      const from = first[p], to = last[q];
      if (to - from + 1 < 4 * endPx) continue;
      // Along the straight path from p at its start to q at its end.
      let n = 0, same = 0;
      for (let a = from; a <= to; a++) {
        const pos = Math.round(p + ((q - p) * (a - from)) / (to - from));
        const v = resp(pos * posStride + a * alongStride);
        if (v !== v) continue;
        buf[n++] = v;
        if (Math.sign(v) === Math.sign(m0)) same++;
      }
      if (n < 4 * endPx) continue;
      const mAll = medianOf(buf, n);
      if (!(Math.abs(mAll) >= minContrast) || Math.sign(mAll) !== Math.sign(m0)) continue;
      found.push({ p, drift: q - p, from, to, score: Math.sign(m0) * Math.min(Math.abs(m0), Math.abs(m1), Math.abs(mAll)), support: same / n });
    }
  }
  // Strongest first; a weaker path within the profile's reach of a kept line at both its ends is part of
  // it (a line between two pixels shows in both; neighbouring slants follow it most of the way; its flanks
  // give a faint response of the other sign).
  found.sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
  const kept: Found[] = [];
  const near = (a: Found, b: Found): boolean => Math.abs(a.p - b.p) <= profileHalfPx + 1 && Math.abs(a.p + a.drift - b.p - b.drift) <= profileHalfPx + 1;
  for (const f of found) if (!kept.some((k) => near(k, f))) kept.push(f);
  return kept.sort((a, b) => a.p + a.drift / 2 - b.p - b.drift / 2).map((f) => {
    const pathAt = (a: number): number => f.p + (f.drift * (a - f.from)) / (f.to - f.from);
    const { offsetPx, widthPx } = profileAcross(albedo, inner, pathAt, nPos, f.from, f.to, posStride, alongStride, Math.sign(f.score));
    return { orientation, positionPx: f.p + f.drift / 2 + offsetPx, driftPx: f.drift, fromPx: f.from, toPx: f.to, score: f.score, widthPx, support: f.support };
  });
}

/**
 * The line's median profile across it (relative to the values just outside, `profileHalfPx` + 2 px either
 * side, along its path `pathAt`, rounded to whole px): its sub-pixel centre (centroid of the contrast of the
 * line's sign, from the path) and equivalent width (integrated contrast over the peak, ≥ 1 px: a line
 * narrower than a pixel is spread over one or two).
 */
function profileAcross(albedo: Float32Array, inner: Uint8Array, pathAt: (a: number) => number, nPos: number, from: number, to: number, posStride: number, alongStride: number, sign: number): { offsetPx: number; widthPx: number } {
  const H = profileHalfPx, R = H + 2;
  const cols = 2 * H + 1;
  const vals = Array.from({ length: cols }, () => new Float32Array(to - from + 1));
  let n = 0;
  for (let a = from; a <= to; a++) {
    const p = Math.round(pathAt(a));
    if (p - R < 0 || p + R >= nPos) continue;
    const i = p * posStride + a * alongStride;
    if (!inner[i - R * posStride] || !inner[i + R * posStride]) continue;
    const ref = (albedo[i - R * posStride] + albedo[i + R * posStride]) / 2;
    if (!(ref > 0)) continue;
    for (let k = -H; k <= H; k++) vals[k + H][n] = albedo[i + k * posStride] / ref - 1;
    n++;
  }
  if (n === 0) return { offsetPx: 0, widthPx: 1 };
  const prof = vals.map((v) => Math.max(0, sign * medianOf(v, n)));
  const peak = Math.max(...prof);
  const sum = prof.reduce((s, v) => s + v, 0);
  if (!(peak > 0)) return { offsetPx: 0, widthPx: 1 };
  const offsetPx = prof.reduce((s, v, k) => s + v * (k - H), 0) / sum;
  return { offsetPx, widthPx: Math.max(1, sum / peak) };
}

/**
 * Measured print lines → SurfaceDefects on `side` (the maps the grade reports in: boxes in its pixels,
 * centre in the card frame: origin at the card's centre, x right, y up, mm). `measured` are the maps the
 * lines were measured on (the same side, resampled); the length is the measured extent (the card inside
 * its outline's margin, since a line reaches both ends), the width its equivalent width, depth 0 (albedo
 * only), the confidence the fraction of the length where the response has the line's sign, rescaled
 * from noise's 1/3 to 0 (a clean line: ~1).
 */
export function printLineDefects(lines: PrintLineCandidate[], measured: CardSideMaps, side: CardSideMaps, cornerZoneMm: number): SurfaceDefect[] {
  const s = measured.umPerPx / 1000;
  const f = measured.umPerPx / side.umPerPx; // side px per measured px
  const sm = side.umPerPx / 1000;
  const card = cardBoxOfMask(side.mask, side.widthPx, side.heightPx);
  const cardCx = (card[0] + card[2]) / 2, cardCy = (card[1] + card[3]) / 2;
  const halfWmm = ((card[2] - card[0]) * sm) / 2, halfHmm = ((card[3] - card[1]) * sm) / 2;
  return lines.map((l) => {
    const vertical = l.orientation === 'vertical';
    const along = (l.fromPx + l.toPx + 1) / 2;
    // Centre on the measured map (px, x right, y down), then on the side's px and in the card frame.
    const cx = vertical ? l.positionPx + 0.5 : along, cy = vertical ? along : l.positionPx + 0.5;
    const centerMm: [number, number] = [(cx * f - cardCx) * sm, (cardCy - cy * f) * sm];
    // Across: from the lower of its two ends' positions to the higher, widened by half its width.
    const half = Math.max(1, l.widthPx / 2) + Math.abs(l.driftPx) / 2;
    const [x0, x1, y0, y1] = vertical ? [l.positionPx + 0.5 - half, l.positionPx + 0.5 + half, l.fromPx, l.toPx + 1] : [l.fromPx, l.toPx + 1, l.positionPx + 0.5 - half, l.positionPx + 0.5 + half];
    const boxPx: [number, number, number, number] = [
      Math.max(0, Math.floor(x0 * f)), Math.max(0, Math.floor(y0 * f)),
      Math.min(side.widthPx, Math.ceil(x1 * f)), Math.min(side.heightPx, Math.ceil(y1 * f)),
    ];
    const lengthMm = Math.hypot(l.toPx - l.fromPx + 1, l.driftPx) * s, widthMm = l.widthPx * s;
    const defect: SurfaceDefect = {
      type: 'print-line', side: side.side, centerMm, lengthMm, widthMm, depthUm: 0, areaMm2: lengthMm * widthMm,
      confidence: Math.min(1, Math.max(0, (l.support - 1 / 3) / (2 / 3))), boxPx,
    };
    const corner = cornerOf(centerMm, halfWmm, halfHmm, cornerZoneMm);
    if (corner) defect.corner = corner;
    return defect;
  });
}

/**
 * The network's own print-line reports that lie on a measured line (centre within 1 mm, or half the
 * report's width, across the line where the report is): dropped, so one line is not reported twice.
 * `measured[k]` is the defect of `lines[k]`.
 */
export function withoutNetworkDuplicates(network: SurfaceDefect[], measured: SurfaceDefect[], lines: PrintLineCandidate[], umPerPx: number): SurfaceDefect[] {
  return network.filter((d) => d.type !== 'print-line' || !measured.some((m, k) => {
    const l = lines[k];
    const vertical = l.orientation === 'vertical';
    // The line's drift in mm per mm along it (card frame: x right, y up; map px: x right, y down).
    const slope = (l.driftPx * umPerPx) / 1000 / Math.max(1e-9, m.lengthMm);
    const across = vertical
      ? Math.abs(d.centerMm[0] - (m.centerMm[0] - slope * (d.centerMm[1] - m.centerMm[1])))
      : Math.abs(d.centerMm[1] - (m.centerMm[1] - slope * (d.centerMm[0] - m.centerMm[0])));
    return across <= Math.max(1, d.widthMm / 2);
  }));
}

/**
 * The network's defects with the measured print lines added (when the manifest sets
 * `printLineMinContrast`; otherwise unchanged): `measured` are the side's maps on the model's grid (where
 * the lines are measured), `side` the maps the defects are reported on. Ordered by confidence as the
 * network's are.
 */
export function withMeasuredPrintLines(network: SurfaceDefect[], measured: CardSideMaps, side: CardSideMaps, pp: SurfacePostprocess): SurfaceDefect[] {
  if (pp.printLineMinContrast === undefined) return network;
  const found = measurePrintLines(measured, { minContrast: pp.printLineMinContrast, edgeMarginMm: pp.edgeMarginMm });
  if (found.length === 0) return network;
  const lines = printLineDefects(found, measured, side, pp.cornerZoneMm);
  return [...withoutNetworkDuplicates(network, lines, found, measured.umPerPx), ...lines].sort((a, b) => b.confidence - a.confidence);
}
