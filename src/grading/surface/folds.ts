import type { CardSideMaps, SurfaceDefect } from '../types.ts';
import { joinLinearFragments } from './fragments.ts';
import { lineDepthUm } from './line-depth.ts';
import { axisBoxPx, lineComponents, shareOnSegment } from './line-components.ts';
import { smoothRelief, valleyCurvature } from './relief-valleys.ts';
import { cardFrame, dilateSquare, erodedCardMask, erodeSquare, type CardFrame, type DefectCandidate } from './postprocess.ts';

// Folds are measured beside the network, as print lines are. A crease is a long straight valley in the
// relief, 0.6–2 mm wide and tens of µm deep, often across most of the card. The network sees ~6 mm at a
// time and was trained on the simulator's narrow V-creases: a second renderer's wider folds with raised
// shoulders came out as a dent at each tapered end and nothing in between (scripts/eval/foreign-eval.ts,
// cards 104, 110, 118), or as a piece centred off the fold's middle. Measured:
//  1. the relief smoothed at the fold's scale (three box means ≈ a Gaussian of σ foldScaleMm), so a
//     scratch's narrow groove (a few µm·mm of cross-section against a crease's tens) mostly drops out;
//  2. its Hessian: a valley curves up across it (largest eigenvalue λ1 > 0) and runs straight along it
//     (|λ2| ≤ λ1 / 2); λ1 ≥ foldMinCurvature (µm/mm²) marks the pixel, inside the card (foldEdgeMarginMm
//     from its outline, where the relief bends) and where the relief is surface (photometric-stereo misfit
//     at most the manifest's maxReliefMisfit, and foldFoilMarginMm from where it is more: a foil that fits
//     at no scale has wandering relief, and bends the relief along its edges);
//  3. the marked components at least foldMinLengthMm long and foldMinAspect × as long as wide, their
//     collinear pieces joined (fragments.ts), their depth measured along the line (line-depth.ts) and kept
//     at foldMinDepthUm or deeper.
// A measured fold replaces the network's dents and creases on its line; where the network calls a line on
// it a scratch, the network's word stands (a deep scratch can pass the measurement; the network tells them
// apart by the groove's shape).

/** Smoothing scale of the relief, mm (a foreign fold's cross-section σ is 0.3–0.7 mm, the simulator's 0.1–0.3). */
export const foldScaleMm = 0.4;
/** Curvature across a valley that marks it, µm/mm² (a 25 µm × 0.8 mm fold reaches ~60, a 20 µm × 0.6 mm V ~35). */
export const foldMinCurvature = 20;
/** A fold is at least this long, mm… */
export const foldMinLengthMm = 10;
/** …and this many times as long as its marked band is wide. */
export const foldMinAspect = 5;
/** Depth along the line (lineDepthUm) a fold must reach, µm. */
export const foldMinDepthUm = 15;
/** The card's outline is left out to this depth, mm (the relief bends at the edges; corner and edge measures see them). */
export const foldEdgeMarginMm = 2;
/**
 * Relief this close to a region that is not surface (misfit above maxReliefMisfit: a foil that fits at no
 * scale) is left out, mm: integrating the foil's wandering normals bends the relief just outside it into
 * straight valleys along its edges (the simulator's printed foil: 55–139 µm "folds" 0.4–0.6 mm outside).
 */
export const foldFoilMarginMm = 1.5;
/** A region that is not surface is at least twice this wide, mm (opened at this radius before the margin). */
export const foldFoilCoreMm = 1;
/** Pieces of one fold further apart than this (and than the shorter is long) are two, mm… */
const foldJoinGapMm = 6;
/** …unless this share of the gap between them is not surface (a fold running on under a foil). */
const foldHiddenGapShare = 0.7;
/** A network dent or crease whose centre lies within this of a measured fold's line (and along it) is that fold, mm. */
const onFoldMm = 1.5;

/** One measured fold: a crease candidate on the model grid (its centre line in axisPx). */
export type MeasuredFold = DefectCandidate;

/**
 * The folds on a side's model-grid maps (`small`: relief, mask), measured for depth on the side's own maps.
 * `misfit`: the features' ps-misfit plane on the model grid; `maxMisfit`: the manifest's maxReliefMisfit.
 */
export function measureFolds(small: CardSideMaps, side: CardSideMaps, misfit: Float32Array | undefined, maxMisfit: number | undefined, cornerZoneMm: number): MeasuredFold[] {
  // On 2 × 2 blocks of the model grid (120 µm/px): a fold's scale is still 3 px there, at a quarter of the cost.
  const g = halfGrid(small, misfit);
  const { w, h, mask } = g;
  const gridUm = small.umPerPx * 2;
  const mmPerPx = gridUm / 1000;
  const z = smoothRelief(g.relief, mask, w, h, foldScaleMm / mmPerPx);
  const inner = erodedCardMask(mask, w, h, Math.round(foldEdgeMarginMm / mmPerPx));
  let nearFoil: Uint8Array | undefined;
  if (g.misfit && maxMisfit !== undefined) {
    const foil = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) if (mask[i] && g.misfit[i] > maxMisfit) foil[i] = 1;
    // Regions of it, not single dark pixels: dark print (a row of text) fits worse than bright print, and
    // 1.5 mm around each of its pixels hid a fold crossing it. A foil is wider than twice foldFoilCoreMm.
    const core = Math.round(foldFoilCoreMm / mmPerPx);
    nearFoil = dilateSquare(erodeSquare(foil, w, h, core), w, h, core + Math.round(foldFoilMarginMm / mmPerPx));
  }
  const marked = new Uint8Array(w * h);
  const inv = 1 / (mmPerPx * mmPerPx);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (!inner[i] || nearFoil?.[i]) continue;
      if (valleyCurvature(z, w, i, inv) >= foldMinCurvature) marked[i] = 1;
    }
  }
  const frame: CardFrame = cardFrame(side, gridUm, cornerZoneMm);
  const pieces: MeasuredFold[] = [];
  for (const piece of lineComponents(marked, w, h).lines) {
    const { axisPx } = piece;
    const lengthMm = piece.lengthPx * mmPerPx, widthMm = piece.widthPx * mmPerPx;
    // Pieces shorter than a fold still join into one (a fold crossing a scratch or a foil's edge breaks).
    if (lengthMm < 2 || lengthMm < foldMinAspect * widthMm) continue;
    const centerMm = frame.toCardMm((axisPx[0] + axisPx[2]) / 2, (axisPx[1] + axisPx[3]) / 2);
    const f = gridUm / side.umPerPx;
    const boxPx = axisBoxPx(axisPx, f, side.widthPx, side.heightPx);
    // Depth along each piece on its own (a joined fold's is its deepest piece's: the gap between pieces
    // may be a foil's wandering relief). The groove is narrower than the band its curvature marks:
    // measured across the fold's scale.
    const depthUm = lineDepthUm(side, axisPx, Math.min(widthMm, 4 * foldScaleMm), gridUm);
    if (!(depthUm >= 0)) continue;
    const defect: SurfaceDefect = { type: 'crease', side: side.side, centerMm, lengthMm, widthMm, depthUm, areaMm2: piece.pixels * mmPerPx * mmPerPx, confidence: 0, boxPx };
    pieces.push({ defect, meanMisfit: 0, axisPx });
  }
  // Pieces in line across a gap that is mostly not surface (near a foil) are one fold, however long the gap.
  const bridge = (p: [number, number], q: [number, number]): boolean => nearFoil !== undefined && shareOnSegment(nearFoil, w, h, p, q) >= foldHiddenGapShare;
  const joined = joinLinearFragments(pieces, frame, foldJoinGapMm, bridge);
  const folds: MeasuredFold[] = [];
  for (const c of joined) {
    const { lengthMm, widthMm, depthUm } = c.defect;
    if (lengthMm < foldMinLengthMm || lengthMm < foldMinAspect * widthMm || !(depthUm >= foldMinDepthUm)) continue;
    const corner = frame.cornerAt(c.defect.centerMm);
    // Measured, not learned: how far the depth clears the minimum (0.63 at it, 0.98 at 4 ×).
    const confidence = Math.round((1 - Math.exp(-depthUm / foldMinDepthUm)) * 1000) / 1000;
    // Its centre line on the model grid (what withMeasuredFolds and the report read).
    const toModel = (v: number): number => (v + 0.5) * 2 - 0.5;
    const axisPx = c.axisPx.map(toModel) as [number, number, number, number];
    folds.push({ ...c, axisPx, defect: { ...c.defect, confidence, ...(corner ? { corner } : {}) } });
  }
  return folds;
}

/** The model grid's relief, card mask (all 4 px on the card) and misfit (mean) on 2 × 2 blocks. */
function halfGrid(small: CardSideMaps, misfit: Float32Array | undefined): { w: number; h: number; relief: Float32Array; mask: Uint8Array; misfit?: Float32Array } {
  const W = small.widthPx, w = Math.floor(W / 2), h = Math.floor(small.heightPx / 2);
  const relief = new Float32Array(w * h), mask = new Uint8Array(w * h), mf = misfit ? new Float32Array(w * h) : undefined;
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * W, r1 = r0 + W;
    for (let x = 0; x < w; x++) {
      const a = r0 + 2 * x, b = a + 1, c = r1 + 2 * x, d = c + 1, i = y * w + x;
      if (!(small.mask[a] && small.mask[b] && small.mask[c] && small.mask[d])) continue;
      mask[i] = 1;
      relief[i] = (small.reliefUm[a] + small.reliefUm[b] + small.reliefUm[c] + small.reliefUm[d]) / 4;
      if (mf && misfit) mf[i] = (misfit[a] + misfit[b] + misfit[c] + misfit[d]) / 4;
    }
  }
  return { w, h, relief, mask, misfit: mf };
}

/** Distance of a card-frame point from a fold's segment (its ends in card mm), and how far past its ends. */
function offFold(p: [number, number], a: [number, number], b: [number, number]): { across: number; beyond: number } {
  const dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy) || 1;
  const t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len;
  return { across: Math.abs((p[0] - a[0]) * dy - (p[1] - a[1]) * dx) / len, beyond: Math.max(0, -t, t - len) };
}

/**
 * The network's defects with the measured folds: a fold replaces the network's dents and creases on its
 * line; a network scratch along it (within onFoldMm, parallel within 15°) keeps the line a scratch.
 */
export function withMeasuredFolds(network: SurfaceDefect[], folds: MeasuredFold[], small: CardSideMaps, side: CardSideMaps, cornerZoneMm: number): SurfaceDefect[] {
  if (folds.length === 0) return network;
  const frame = cardFrame(side, small.umPerPx, cornerZoneMm);
  const f = small.umPerPx / side.umPerPx; // side px per model px
  let kept = network;
  const added: SurfaceDefect[] = [];
  for (const fold of folds) {
    const a = frame.toCardMm(fold.axisPx[0], fold.axisPx[1]), b = frame.toCardMm(fold.axisPx[2], fold.axisPx[3]);
    const foldAngle = Math.atan2(b[1] - a[1], b[0] - a[0]);
    const reach = Math.max(onFoldMm, fold.defect.widthMm / 2);
    const scratchOnIt = kept.some((d) => {
      if (d.type !== 'scratch') return false;
      const o = offFold(d.centerMm, a, b);
      if (o.across > reach || o.beyond > 0) return false;
      // A scratch's direction is not kept in SurfaceDefect: its box's diagonal stands in when it is long.
      return d.lengthMm >= 2 * d.widthMm && parallelWithin(d, foldAngle, 15);
    });
    if (scratchOnIt) continue;
    // Network dents and creases on the fold are the fold. A network crease along it may reach further (into
    // a foil's edge, where the marked band breaks): the fold then spans both.
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const u: [number, number] = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    let t0 = 0, t1 = len;
    const box = [...fold.defect.boxPx] as [number, number, number, number];
    kept = kept.filter((d) => {
      if (d.type !== 'dent' && d.type !== 'crease') return true;
      const o = offFold(d.centerMm, a, b);
      if (o.across > reach + d.widthMm / 2 || o.beyond > (d.type === 'crease' ? d.lengthMm / 2 : 1)) return true;
      if (d.type === 'crease') {
        // Its extent along the fold: its box's corners (side px → model px → card mm) projected on the
        // fold's line (a line's box projects to the line's own length when the two are parallel).
        for (const [x, y] of [[d.boxPx[0], d.boxPx[1]], [d.boxPx[2], d.boxPx[1]], [d.boxPx[0], d.boxPx[3]], [d.boxPx[2], d.boxPx[3]]]) {
          const c = frame.toCardMm(x / f - 0.5, y / f - 0.5);
          const t = (c[0] - a[0]) * u[0] + (c[1] - a[1]) * u[1];
          t0 = Math.min(t0, t);
          t1 = Math.max(t1, t);
        }
        box[0] = Math.min(box[0], d.boxPx[0]); box[1] = Math.min(box[1], d.boxPx[1]);
        box[2] = Math.max(box[2], d.boxPx[2]); box[3] = Math.max(box[3], d.boxPx[3]);
      }
      return false;
    });
    const mid = (t0 + t1) / 2;
    const centerMm: [number, number] = [a[0] + u[0] * mid, a[1] + u[1] * mid];
    const defect: SurfaceDefect = { ...fold.defect, centerMm, lengthMm: t1 - t0, boxPx: box };
    const corner = frame.cornerAt(centerMm);
    if (corner) defect.corner = corner;
    else delete defect.corner;
    added.push(defect);
  }
  return [...kept, ...added].sort((x, y) => y.confidence - x.confidence);
}

/** Whether a line defect runs within `deg` of `angle` (its box's diagonal, either way; boxes do not say which). */
function parallelWithin(d: SurfaceDefect, angle: number, deg: number): boolean {
  const bw = d.boxPx[2] - d.boxPx[0], bh = d.boxPx[3] - d.boxPx[1];
  const diag = Math.atan2(bh, bw);
  const norm = (t: number): number => { let u = Math.abs(t) % Math.PI; if (u > Math.PI / 2) u = Math.PI - u; return u; };
  const tol = (deg * Math.PI) / 180;
  // Box px have y down, the card frame y up: a diagonal of the box is ±its angle.
  return norm(diag - angle) <= tol || norm(-diag - angle) <= tol || bw < 2 || bh < 2;
}
