import { median } from '../card-frame.ts';
import type { CardSideMaps } from '../types.ts';
import type { DefectCandidate } from './postprocess.ts';

// A scratch's or crease's depth, measured along it. The ring around a defect's box (postprocess.ts
// depthBelowSurroundingsUm) suits a dent; around a long diagonal scratch the box is most of a card, and
// its lowest point against the box's surroundings takes in every bow and warp of the relief along 20–30 mm:
// a 11 µm scratch on a card from scripts/eval/foreign_card.py measured 91 µm, and the sim's held-out
// scratches of 6–25 µm up to 141 µm. Here each station along the line compares the line's bottom with the
// surface just beside it, on both sides, so only what is local to the line counts.

/** Kinds measured along their line. */
const lineKinds = new Set(['scratch', 'crease']);
/** Stations along the line, mm apart. */
const stationMm = 0.2;
/** The reference surface beside the line: from this far outside its half width… */
const besideFromMm = 0.3;
/** …to this far, mm. */
const besideToMm = 0.9;

/**
 * Depth of a line defect below the surface beside it, µm: at stations every 0.2 mm along its centre line
 * (axisPx, model px), the median relief 0.3–0.9 mm beside it on both sides less the lowest relief across
 * its width; those local depths averaged over 3 stations, the deepest such average. Stations whose samples
 * leave the card are skipped. NaN when no station is on the card.
 */
export function lineDepthUm(maps: CardSideMaps, axisPx: [number, number, number, number], widthMm: number, modelUmPerPx: number): number {
  const { widthPx: w, heightPx: h, reliefUm, mask } = maps;
  const f = modelUmPerPx / maps.umPerPx; // side px per model px
  const pxPerMm = 1000 / maps.umPerPx;
  // Model pixel centres to side pixel indices.
  const x0 = (axisPx[0] + 0.5) * f - 0.5, y0 = (axisPx[1] + 0.5) * f - 0.5;
  const x1 = (axisPx[2] + 0.5) * f - 0.5, y1 = (axisPx[3] + 0.5) * f - 0.5;
  const len = Math.hypot(x1 - x0, y1 - y0);
  const ux = len > 1e-9 ? (x1 - x0) / len : 1, uy = len > 1e-9 ? (y1 - y0) / len : 0;
  const nx = -uy, ny = ux; // across
  const half = (widthMm / 2) * pxPerMm;
  const at = (x: number, y: number): number => {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= w || yi >= h || !mask[yi * w + xi]) return NaN;
    return reliefUm[yi * w + xi];
  };
  const step = stationMm * pxPerMm;
  const stations = Math.max(1, Math.floor(len / step) + 1);
  const local: number[] = [];
  for (let k = 0; k < stations; k++) {
    const d = stations === 1 ? len / 2 : (k * len) / (stations - 1);
    const cx = x0 + ux * d, cy = y0 + uy * d;
    let bottom = Infinity, ok = true;
    for (let a = -half; a <= half + 1e-9; a += 0.5) {
      const v = at(cx + nx * a, cy + ny * a);
      if (v !== v) { ok = false; break; }
      bottom = Math.min(bottom, v);
    }
    const beside: number[] = [];
    for (let a = half + besideFromMm * pxPerMm; a <= half + besideToMm * pxPerMm + 1e-9; a += 1) {
      for (const sgn of [-1, 1]) {
        const v = at(cx + nx * a * sgn, cy + ny * a * sgn);
        if (v !== v) ok = false;
        else beside.push(v);
      }
    }
    local.push(ok && beside.length > 0 ? median(beside) - bottom : NaN);
  }
  let deepest = NaN;
  for (let k = 0; k < local.length; k++) {
    let s = 0, n = 0;
    for (let j = Math.max(0, k - 1); j <= Math.min(local.length - 1, k + 1); j++) if (local[j] === local[j]) { s += local[j]; n++; }
    if (n > 0 && !(s / n <= deepest)) deepest = s / n;
  }
  return deepest === deepest ? Math.max(0, deepest) : NaN;
}

/** Scratches and creases with their depth measured along them (lineDepthUm); where it cannot be, as they were. */
export function withLineDepths(candidates: DefectCandidate[], maps: CardSideMaps, modelUmPerPx: number): DefectCandidate[] {
  return candidates.map((c) => {
    if (!lineKinds.has(c.defect.type)) return c;
    const depthUm = lineDepthUm(maps, c.axisPx, c.defect.widthMm, modelUmPerPx);
    return Number.isFinite(depthUm) ? { ...c, defect: { ...c.defect, depthUm } } : c;
  });
}
