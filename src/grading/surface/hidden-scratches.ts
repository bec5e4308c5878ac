import type { CardSideMaps } from '../types.ts';
import { onLineOf } from './block-scratches.ts';
import type { SurfacePostprocess } from './manifest.ts';
import { defectCandidates, type DefectCandidate, type ProbabilityMap } from './postprocess.ts';

// Scratches the network saw inside another defect's component. The network's defect pixels are grouped in
// connected components, each typed by its class with the largest summed probability (postprocess.ts). A
// scratch that crosses a fold or touches a dent shares their pixels' component, typed by the larger area:
//  - on a second renderer's cards 110 and 118 (scripts/eval/foreign-eval.ts) the network gave a 9 µm and a
//    14 µm scratch P(scratch) 0.96–0.97 along 20–28 mm, and they were reported nowhere: each was inside a
//    "dent" 28–59 mm long with a fold, which the measured fold then replaced (folds.ts);
//  - on its card 124 a scratch and the dent it touches came out as one "dent" 11.6 mm long, centred
//    between them.
// Here such a component, at least bigComponentMm long, is split by class: the defect pixels whose likeliest
// class is the scratch are grouped on their own, and where they make a scratch (hiddenMinLengthMm, not on
// a measured fold's line), the component is replaced by the scratch and by the components of its other
// pixels.

/** A component of another type at least this long, mm, may hide a scratch (a fold; dents are 2–6 mm). */
const bigComponentMm = 10;
/** A scratch read on its own is at least this long, mm, and this many times as long as wide. */
const hiddenMinLengthMm = 5;
const hiddenMinAspect = 4;

/** A box of model px [x0, y0, x1, y1). */
type Box = [number, number, number, number];

/**
 * The likeliest defect class (1 … C − 1) of each pixel inside `boxes`, 0 outside them: read once for the
 * check and for both of splitByScratch's maps.
 */
function likeliestDefectIn(p: ProbabilityMap, boxes: Box[]): Uint8Array {
  const n = p.width * p.height, w = p.width;
  const out = new Uint8Array(n);
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = y0; y < y1; y++) {
      for (let i = y * w + x0; i < y * w + x1; i++) {
        let best = 1;
        for (let c = 2; c < p.classes; c++) if (p.data[c * n + i] > p.data[best * n + i]) best = c;
        out[i] = best;
      }
    }
  }
  return out;
}

/**
 * The probability map with its defect pixels split by class (`likeliest`: likeliestDefectIn's): a pixel
 * whose likeliest defect class is the scratch (`scratch` true) or is not (false) keeps its probabilities,
 * any other, and every pixel outside the boxes, is background. The components of such a map are those of
 * the network's defect pixels (same threshold), cut where the likeliest class changes to or from the scratch.
 */
function splitByScratch(p: ProbabilityMap, likeliest: Uint8Array, scratch: boolean): ProbabilityMap {
  const n = p.width * p.height, C = p.classes;
  const data = new Float32Array(C * n);
  data.fill(1, 0, n);
  for (let i = 0; i < n; i++) {
    if (likeliest[i] === 0 || (likeliest[i] === 1) !== scratch) continue;
    for (let c = 0; c < C; c++) data[c * n + i] = p.data[c * n + i];
  }
  return { ...p, data };
}

/**
 * `found` (the network's candidates) with each component of another type at least bigComponentMm long
 * that holds a scratch (at least hiddenMinLengthMm long and hiddenMinAspect × as long as wide, not on one
 * of the measured `folds`' lines, model px, and not already one of `found`'s scratches) replaced by that
 * scratch and the components of its other pixels. Unchanged when there is none.
 */
export function withHiddenScratches(probs: ProbabilityMap, found: DefectCandidate[], folds: { axisPx: [number, number, number, number]; widthMm: number }[], maps: CardSideMaps, modelMask: Uint8Array, pp: SurfacePostprocess, misfit: Float32Array): DefectCandidate[] {
  const big = found.filter((c) => c.defect.type !== 'scratch' && c.defect.lengthMm >= bigComponentMm);
  if (big.length === 0) return found;
  const f = probs.umPerPx / maps.umPerPx; // side px per model px
  const mmPerPx = probs.umPerPx / 1000;
  const w = probs.width, h = probs.height;
  const boxes: Box[] = big.map(({ defect: { boxPx: b } }) => [Math.max(0, Math.floor(b[0] / f) - 1), Math.max(0, Math.floor(b[1] / f) - 1), Math.min(w, Math.ceil(b[2] / f) + 1), Math.min(h, Math.ceil(b[3] / f) + 1)]);
  const likeliest = likeliestDefectIn(probs, boxes);
  // Cheap first: enough scratch-typed defect pixels in the boxes for a scratch of the minimum length.
  let typed = 0;
  for (let i = 0; i < w * h; i++) if (likeliest[i] === 1 && 1 - probs.data[i] >= pp.threshold) typed++;
  if (typed * mmPerPx < hiddenMinLengthMm) return found;
  const centre = (c: DefectCandidate): [number, number] => [(c.axisPx[0] + c.axisPx[2]) / 2, (c.axisPx[1] + c.axisPx[3]) / 2];
  const hostOf = (c: DefectCandidate): DefectCandidate | undefined => {
    const [x, y] = centre(c);
    return big.find(({ defect: { boxPx: b } }) => x >= b[0] / f - 1 && x <= b[2] / f && y >= b[1] / f - 1 && y <= b[3] / f);
  };
  const scratches = found.filter((c) => c.defect.type === 'scratch').map((c) => ({ axisPx: c.axisPx, widthMm: c.defect.widthMm }));
  const hidden = defectCandidates(splitByScratch(probs, likeliest, true), maps, modelMask, pp, misfit).filter((c) =>
    c.defect.type === 'scratch' && c.defect.lengthMm >= hiddenMinLengthMm && c.defect.lengthMm >= hiddenMinAspect * c.defect.widthMm
    && hostOf(c) !== undefined && !onLineOf(c, folds, mmPerPx) && !onLineOf(c, scratches, mmPerPx));
  if (hidden.length === 0) return found;
  const hosts = new Set(hidden.map((c) => hostOf(c)!));
  // The hosts' other pixels, in components of their own (within a host's box; not a copy of a candidate
  // found already).
  const rest = defectCandidates(splitByScratch(probs, likeliest, false), maps, modelMask, pp, misfit).filter((c) => {
    const host = hostOf(c);
    if (!host || !hosts.has(host)) return false;
    const [x, y] = centre(c);
    return !found.some((o) => !hosts.has(o) && o.defect.type === c.defect.type && Math.hypot(centre(o)[0] - x, centre(o)[1] - y) * mmPerPx <= 1);
  });
  return [...found.filter((c) => !hosts.has(c)), ...hidden, ...rest];
}
