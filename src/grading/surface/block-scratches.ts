import type { CardSideMaps, SurfaceDefect } from '../types.ts';
import { axisBoxPx, lineComponents, shareOnSegment } from './line-components.ts';
import { smoothRelief, smoothingRadiusPx, valleyCurvature } from './relief-valleys.ts';
import { joinable } from './fragments.ts';
import { cardBoxPx, cardFrame, components, dilateSquare, erodeSquare, type CardFrame, type DefectCandidate } from './postprocess.ts';

// Scratches where the relief was solved at the block scale. Over a holo grating, photometric stereo fits
// 0.4 mm blocks instead of pixels (vision/ps-coarse-fallback.ts): a dent or fold there keeps its shape, but
// a scratch 0.15–0.3 mm wide becomes a groove as wide as a block and a few µm deep. The network, trained on
// sharp grooves, finds nothing there: a scratch crossing a foil came out as its piece outside the foil,
// centred off the scratch's middle, and one inside a foil not at all (scripts/eval/foreign-eval.ts, a
// second renderer's cards 8, 24, 104, 112, 116). Measured instead, on the model grid:
//  1. the regions the block-scale solve made (CardSideMaps.blockSolved) whose fit is good: their median
//     photometric-stereo misfit at most blockMaxMisfit. Where the blocks fit worse, the relief can hold
//     what the fit left (before the blocks were low-passed, a grating near the block's period left ridges
//     3–4 mm apart at misfit 0.10–0.15, against 0.002–0.02 where it averaged out); such a region is left
//     alone. The regions' outer blockEdgeMarginMm is left out too: the relief bends at their edges;
//  2. the relief smoothed a little (blockScratchScaleMm) and its Hessian: a valley curves up across it
//     (λ1 ≥ blockScratchMinCurvature) and runs straight along it (|λ2| ≤ λ1 / 2);
//  3. the marked components at least blockScratchMinLengthMm long and blockScratchJoinMinAspect × as long
//     as wide, as scratch candidates beside the network's: pieces of one scratch inside and outside the foil
//     join (fragments.ts), and its depth is measured along the whole line (line-depth.ts). A piece that
//     joins none of the network's scratches must be blockScratchAloneMinLengthMm long and
//     blockScratchMinAspect × as long as wide. Its depth is the blurred groove's, a fraction of the
//     scratch's (3 µm for a 16 µm scratch): the relief holds no more.
// A line that is a fold (measured, or the network's crease) is the fold's: see onLineOf.

/** Largest median misfit of a block-solved region searched, 0..1. */
export const blockMaxMisfit = 0.05;
/**
 * Left out along a block-solved region's edge, mm: the relief bends there (the ring of blocks across the
 * edge), and a 3 µm step into the region reads as a valley 0.4 mm inside it, λ1 ≈ 8
 * (test/grading/surface/block-scratches.test.ts).
 */
export const blockEdgeMarginMm = 0.5;
/** Smoothing of the relief before its Hessian, mm (three box means ≈ a Gaussian of this σ). */
export const blockScratchScaleMm = 0.15;
/**
 * Curvature across a valley that marks it, µm/mm². On the second renderer's good foils, the relief's
 * valleys read 2–5 at the 99th percentile, and scratches of 11–21 µm blurred by the blocks 8–18 along them.
 */
export const blockScratchMinCurvature = 6;
/**
 * A piece found here is at least this long, mm, and blockScratchJoinMinAspect × as long as wide, to join a
 * network scratch's piece in line with it (the end of a scratch that crosses into a foil: 2–4 mm of it
 * clear the region's margin)…
 */
export const blockScratchMinLengthMm = 1.5;
export const blockScratchJoinMinAspect = 2.5;
/** …and this long, and blockScratchMinAspect × as long as wide, to be a scratch on its own (a 3 mm valley inside a foil was a false report). */
export const blockScratchAloneMinLengthMm = 5;
export const blockScratchMinAspect = 4;

/**
 * A scratch inside a well-fitted block-solved region breaks the fit of the blocks it crosses: their pixels
 * keep their failed per-pixel fit (misfit 0.7–0.8), a hole along the scratch in the region. The region
 * closed at this radius, mm, covers such holes (a scratch's blocks are 1–3 blocks wide).
 */
export const blockHoleCloseMm = 1;
/** A network scratch with at least this share of its centre line in the closed region is inside it. */
const insideShare = 0.8;

/**
 * Block-solved pixels on the card (model grid) in regions whose median misfit is at most blockMaxMisfit:
 * where blockSolvedScratches and scratchesInsideBlockRegions look. Undefined when there are none.
 */
export function goodBlockRegions(small: CardSideMaps, misfit: Float32Array): Uint8Array | undefined {
  const { widthPx: w, heightPx: h, mask, blockSolved } = small;
  if (!blockSolved) return undefined;
  const solved = new Uint8Array(w * h);
  let any = false;
  for (let i = 0; i < w * h; i++) if (blockSolved[i] && mask[i]) { solved[i] = 1; any = true; }
  if (!any) return undefined;
  const { labels, count } = components(solved, w, h);
  // Median per region from a histogram of its misfit (1/256 steps: enough to tell 0.02 from 0.10).
  const bins = 256;
  const hist = new Uint32Array((count + 1) * bins), total = new Uint32Array(count + 1);
  for (let i = 0; i < w * h; i++) {
    const k = labels[i];
    if (!k) continue;
    const m = misfit[i];
    hist[k * bins + Math.min(bins - 1, Math.max(0, Math.floor((m === m ? m : 1) * bins)))]++;
    total[k]++;
  }
  const good = new Uint8Array(count + 1);
  for (let k = 1; k <= count; k++) {
    let seen = 0, b = 0;
    for (; b < bins; b++) { seen += hist[k * bins + b]; if (2 * seen >= total[k]) break; }
    good[k] = (b + 0.5) / bins <= blockMaxMisfit ? 1 : 0;
  }
  const out = new Uint8Array(w * h);
  any = false;
  for (let i = 0; i < w * h; i++) if (good[labels[i]]) { out[i] = 1; any = true; }
  return any ? out : undefined;
}

/**
 * The network's scratches at least blockScratchAloneMinLengthMm long that lie inside a well-fitted
 * block-solved region (its holes closed, blockHoleCloseMm): for those a high misfit is the scratch's own,
 * not a foil's, so the manifest's misfit gate (maxReliefMisfit, which drops what the network sees on a
 * foil that fits at no scale) does not apply.
 * On a second renderer's card 108 the network found a 16 mm, 22 µm scratch inside a holo foil at its
 * middle (15.8 mm long), and its misfit of 0.79 dropped it.
 */
export function scratchesInsideBlockRegions(candidates: DefectCandidate[], small: CardSideMaps, regions: Uint8Array | undefined): Set<DefectCandidate> {
  const inside = new Set<DefectCandidate>();
  // Long enough to stand alone as a scratch: a piece of a scratch 1–2 mm long stays gated as before.
  const scratches = candidates.filter((c) => c.defect.type === 'scratch' && c.defect.lengthMm >= blockScratchAloneMinLengthMm);
  if (scratches.length === 0 || !regions) return inside;
  const w = small.widthPx, h = small.heightPx;
  const r = Math.max(1, Math.round((blockHoleCloseMm * 1000) / small.umPerPx));
  const closed = erodeSquare(dilateSquare(regions, w, h, r), w, h, r);
  for (const c of scratches) {
    const [x0, y0, x1, y1] = c.axisPx;
    if (shareOnSegment(closed, w, h, [x0, y0], [x1, y1]) >= insideShare) inside.add(c);
  }
  return inside;
}

/**
 * Scratch candidates in the block-solved regions of a side (see above), on the model grid (`small`, with
 * `misfit`: the features' ps-misfit plane), their boxes in the side's own px (`side`). Their confidence is
 * how far the valley's mean curvature clears the minimum (1 − exp(−λ1 / min): 0.63 at it); their depth is
 * left to the line's measurement (withLineDepths), 0 until then.
 */
export function blockSolvedScratches(small: CardSideMaps, side: CardSideMaps, misfit: Float32Array, regions: Uint8Array | undefined, cornerZoneMm: number): DefectCandidate[] {
  if (!regions) return [];
  const W = small.widthPx, H = small.heightPx;
  const mmPerPx = small.umPerPx / 1000;
  const marginPx = Math.max(1, Math.round(blockEdgeMarginMm / mmPerPx));
  const searched = erodeSquare(regions, W, H, marginPx);
  // The window around what is searched, with room for the smoothing and the Hessian's stencil.
  const sigmaPx = blockScratchScaleMm / mmPerPx;
  const r = smoothingRadiusPx(sigmaPx);
  if (!searched.includes(1)) return [];
  const box = cardBoxPx(searched, W, H), pad = 3 * r + 2;
  const win = { x0: Math.max(0, box[0] - pad), y0: Math.max(0, box[1] - pad), x1: Math.min(W, box[2] + pad), y1: Math.min(H, box[3] + pad) };
  const w = win.x1 - win.x0, h = win.y1 - win.y0;
  const relief = new Float32Array(w * h), mask = new Uint8Array(w * h), inside = new Uint8Array(w * h), mis = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, j = (y + win.y0) * W + x + win.x0;
      mask[i] = small.mask[j]; relief[i] = small.reliefUm[j]; inside[i] = searched[j]; mis[i] = misfit[j];
    }
  }
  const z = smoothRelief(relief, mask, w, h, sigmaPx);
  const marked = new Uint8Array(w * h);
  const curvature = new Float32Array(w * h);
  const inv = 1 / (mmPerPx * mmPerPx);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (!inside[i]) continue;
      const l1 = valleyCurvature(z, w, i, inv);
      if (l1 >= blockScratchMinCurvature) { marked[i] = 1; curvature[i] = l1; }
    }
  }
  const frame = cardFrame(side, small.umPerPx, cornerZoneMm);
  const f = small.umPerPx / side.umPerPx; // side px per model px
  const out: DefectCandidate[] = [];
  const { labels, lines: pieces } = lineComponents(marked, w, h);
  // Per piece: its mean curvature and misfit.
  const sumL = new Float64Array(pieces.length + 1), sumM = new Float64Array(pieces.length + 1);
  for (let i = 0; i < w * h; i++) {
    const k = labels[i];
    if (k) { sumL[k] += curvature[i]; sumM[k] += mis[i]; }
  }
  pieces.forEach((piece, index) => {
    const k = index + 1;
    const lengthMm = piece.lengthPx * mmPerPx, widthMm = piece.widthPx * mmPerPx;
    if (lengthMm < blockScratchMinLengthMm || lengthMm < blockScratchJoinMinAspect * widthMm) return;
    const a = piece.axisPx;
    const axisPx: [number, number, number, number] = [a[0] + win.x0, a[1] + win.y0, a[2] + win.x0, a[3] + win.y0];
    const centerMm = frame.toCardMm((axisPx[0] + axisPx[2]) / 2, (axisPx[1] + axisPx[3]) / 2);
    const boxPx = axisBoxPx(axisPx, f, side.widthPx, side.heightPx);
    const meanCurvature = sumL[k] / piece.pixels;
    const confidence = Math.round((1 - Math.exp(-meanCurvature / blockScratchMinCurvature)) * 1000) / 1000;
    const defect: SurfaceDefect = { type: 'scratch', side: side.side, centerMm, lengthMm, widthMm, depthUm: 0, areaMm2: piece.pixels * mmPerPx * mmPerPx, confidence, boxPx };
    const corner = frame.cornerAt(centerMm);
    if (corner) defect.corner = corner;
    out.push({ defect, meanMisfit: sumM[k] / piece.pixels, axisPx });
  });
  return out;
}

/** A block-solved piece in line with a fold whose nearer end is this close past the fold's end is the fold's (a fold tapers), mm. */
const foldTaperMm = 3;

/**
 * The block-solved pieces worth keeping beside the network's candidates: those long enough to stand alone
 * (blockScratchAloneMinLengthMm), and shorter ones that join a network scratch's piece or a piece kept
 * already (fragments.ts): a faint scratch's end inside a foil comes out as a row of 2–3 mm pieces, of
 * which only the first touches the network's piece outside (second renderer's card 324).
 */
export function blockScratchesToKeep(pieces: DefectCandidate[], network: DefectCandidate[], frame: CardFrame, maxGapMm: number): DefectCandidate[] {
  const alone = (d: SurfaceDefect): boolean => d.lengthMm >= blockScratchAloneMinLengthMm && d.lengthMm >= blockScratchMinAspect * d.widthMm;
  const kept = new Set(pieces.filter((p) => alone(p.defect)));
  const anchors = [...network.filter((c) => c.defect.type === 'scratch'), ...kept];
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of pieces) {
      if (kept.has(p) || !anchors.some((a) => joinable(p, a, frame, maxGapMm))) continue;
      kept.add(p);
      anchors.push(p);
      grew = true;
    }
  }
  return pieces.filter((p) => kept.has(p));
}

/**
 * Whether a candidate's line lies on one of `lines` (model px centre lines, each with its width in mm):
 * its centre within max(1.5 mm, half the line's width) of the line, its nearer end on the line's segment
 * or at most foldTaperMm past it, and its direction within 15°. A block-solved valley along a fold, or
 * where a fold's tapered end fades under the marked band, is the fold, not a scratch beside it.
 */
export function onLineOf(c: DefectCandidate, lines: { axisPx: [number, number, number, number]; widthMm: number }[], mmPerPx: number): boolean {
  const [x0, y0, x1, y1] = c.axisPx;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const dir = Math.atan2(y1 - y0, x1 - x0);
  const halfPx = Math.hypot(x1 - x0, y1 - y0) / 2;
  return lines.some(({ axisPx: [a0, b0, a1, b1], widthMm }) => {
    const dx = a1 - a0, dy = b1 - b0, len = Math.hypot(dx, dy) || 1;
    const t = ((cx - a0) * dx + (cy - b0) * dy) / len;
    const across = Math.abs((cx - a0) * dy - (cy - b0) * dx) / len;
    const beyond = Math.max(0, -t, t - len) - halfPx;
    if (beyond * mmPerPx > foldTaperMm || across * mmPerPx > Math.max(1.5, widthMm / 2)) return false;
    let turn = Math.abs(dir - Math.atan2(dy, dx)) % Math.PI;
    turn = Math.min(turn, Math.PI - turn);
    return turn <= (15 * Math.PI) / 180;
  });
}
