import type { CardFrame, DefectCandidate } from './postprocess.ts';

// A long scratch whose middle is fainter than the threshold comes out of the components as two or three
// pieces on one line. Reported as they are, each piece's centre is far from the scratch's (the held-out
// matching and a collector both count one scratch, at its middle), the pieces are shorter than the scratch
// and small ones fall under the minimum area. Joined here before the gates, so the area gate sees the
// whole scratch.

/** Kinds that are lines on the card: their pieces can be joined. */
const linearKinds = new Set(['scratch', 'crease']);
/** Two pieces of one line point the same way within this, degrees (a piece's direction comes from its moments). */
const maxAngleDeg = 8;
/** Each end of a piece lies within this of the other piece's line, mm (a straight scratch across a gap). */
const maxOffsetMm = 0.6;
/**
 * A gap no longer than the shorter piece is a faint stretch; a longer one parts two marks. Up to this, mm,
 * pieces in line are joined however short (on a held-out side a 9 mm scratch came out as 5.6 and 1.6 mm
 * pieces 1.6 mm apart, and the short one was reported as a scratch of its own, 3.7 mm from the middle).
 */
const alwaysJoinableGapMm = 2;

type Vec = [number, number];
const axisOf = (c: DefectCandidate): [Vec, Vec] => [[c.axisPx[0], c.axisPx[1]], [c.axisPx[2], c.axisPx[3]]];

/** Distance of point p from the infinite line through a and b, px (a ≠ b; a single-pixel piece: from a). */
function offsetFromLine(p: Vec, [a, b]: [Vec, Vec]): number {
  const dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy);
  if (len < 1e-9) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  return Math.abs((p[0] - a[0]) * dy - (p[1] - a[1]) * dx) / len;
}

/**
 * A gap between two pieces in line that may be crossed whatever its length (its ends, model px): see
 * joinLinearFragments.
 */
export type GapBridge = (from: [number, number], to: [number, number]) => boolean;

/** Whether two pieces are one line: same kind, parallel, in line, their ends close enough (or `bridge` crosses the gap). */
export function joinable(a: DefectCandidate, b: DefectCandidate, frame: CardFrame, maxGapMm: number, bridge?: GapBridge): boolean {
  if (a.defect.type !== b.defect.type || !linearKinds.has(a.defect.type)) return false;
  const la = axisOf(a), lb = axisOf(b);
  const da = Math.atan2(la[1][1] - la[0][1], la[1][0] - la[0][0]), db = Math.atan2(lb[1][1] - lb[0][1], lb[1][0] - lb[0][0]);
  let turn = Math.abs(da - db) % Math.PI;
  turn = Math.min(turn, Math.PI - turn);
  if ((turn * 180) / Math.PI > maxAngleDeg) return false;
  const offPx = maxOffsetMm / frame.mmPerPx;
  if (lb.some((p) => offsetFromLine(p, la) > offPx) || la.some((p) => offsetFromLine(p, lb) > offPx)) return false;
  // The gap between their nearest ends, along the longer piece's direction (negative: they overlap).
  const [long, short] = a.defect.lengthMm >= b.defect.lengthMm ? [la, lb] : [lb, la];
  const ux = long[1][0] - long[0][0], uy = long[1][1] - long[0][1], n = Math.hypot(ux, uy) || 1;
  const along = (p: Vec): number => ((p[0] - long[0][0]) * ux + (p[1] - long[0][1]) * uy) / n;
  const s0 = Math.min(along(short[0]), along(short[1])), s1 = Math.max(along(short[0]), along(short[1]));
  const gapPx = Math.max(s0 - n, -s1);
  const gapMm = gapPx * frame.mmPerPx;
  if (gapMm <= maxGapMm && gapMm <= Math.max(alwaysJoinableGapMm, Math.min(a.defect.lengthMm, b.defect.lengthMm))) return true;
  if (!bridge || gapPx <= 0) return false;
  // The gap's ends: the closest pair of ends, one of each piece.
  let from = la[0], to = lb[0], best = Infinity;
  for (const p of la) for (const q of lb) { const d = Math.hypot(p[0] - q[0], p[1] - q[1]); if (d < best) { best = d; from = p; to = q; } }
  return bridge(from, to);
}

/** One candidate of two pieces: the line between their farthest ends, the union of what was measured. */
function join(a: DefectCandidate, b: DefectCandidate, frame: CardFrame): DefectCandidate {
  const ends = [...axisOf(a), ...axisOf(b)];
  let best: [Vec, Vec] = [ends[0], ends[1]], bestD = -1;
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      const d = Math.hypot(ends[i][0] - ends[j][0], ends[i][1] - ends[j][1]);
      if (d > bestD) { bestD = d; best = [ends[i], ends[j]]; }
    }
  }
  const A = a.defect, B = b.defect, area = A.areaMm2 + B.areaMm2;
  const mid: Vec = [(best[0][0] + best[1][0]) / 2, (best[0][1] + best[1][1]) / 2];
  const centerMm = frame.toCardMm(mid[0], mid[1]);
  const defect = {
    type: A.type,
    side: A.side,
    centerMm,
    // As a piece's length: the extent between the end pixels' centres plus one pixel.
    lengthMm: (bestD + 1) * frame.mmPerPx,
    widthMm: Math.max(A.widthMm, B.widthMm),
    // A scratch is as deep as its deepest point.
    depthUm: Math.max(A.depthUm, B.depthUm),
    areaMm2: area,
    confidence: (A.confidence * A.areaMm2 + B.confidence * B.areaMm2) / area,
    boxPx: [Math.min(A.boxPx[0], B.boxPx[0]), Math.min(A.boxPx[1], B.boxPx[1]), Math.max(A.boxPx[2], B.boxPx[2]), Math.max(A.boxPx[3], B.boxPx[3])] as [number, number, number, number],
  };
  const corner = frame.cornerAt(centerMm);
  return {
    defect: corner ? { ...defect, corner } : defect,
    meanMisfit: (a.meanMisfit * A.areaMm2 + b.meanMisfit * B.areaMm2) / area,
    axisPx: [best[0][0], best[0][1], best[1][0], best[1][1]],
  };
}

/**
 * Pieces of one scratch or crease joined into one candidate (see SurfacePostprocess.joinLinearGapMm),
 * until no two pieces left are joinable; the others as they were. Ordered by confidence, as
 * defectCandidates orders them. With `bridge`, two pieces in line whose gap is too long are joined when
 * `bridge` accepts the gap (folds.ts: a fold under a foil that is not surface).
 */
export function joinLinearFragments(candidates: DefectCandidate[], frame: CardFrame, maxGapMm: number, bridge?: GapBridge): DefectCandidate[] {
  const out = [...candidates];
  // Each join removes one candidate: at most n − 1 rounds, each over the linear pieces' pairs.
  for (let joined = true; joined; ) {
    joined = false;
    for (let i = 0; i < out.length && !joined; i++) {
      for (let j = i + 1; j < out.length; j++) {
        if (!joinable(out[i], out[j], frame, maxGapMm, bridge)) continue;
        out[i] = join(out[i], out[j], frame);
        out.splice(j, 1);
        joined = true;
        break;
      }
    }
  }
  return out.sort((a, b) => b.defect.confidence - a.defect.confidence);
}
