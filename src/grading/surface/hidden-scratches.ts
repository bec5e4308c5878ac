import type { CardSideMaps } from '../types.ts';
import { onLineOf } from './block-scratches.ts';
import type { SurfacePostprocess } from './manifest.ts';
import { defectCandidates, type DefectCandidate, type ProbabilityMap } from './postprocess.ts';

// Scratches the network saw inside another defect's component. The network's defect pixels are grouped in
// connected components, each typed by its class with the largest summed probability (postprocess.ts). A
// scratch that crosses a fold touches the fold's pixels: the two are one component, typed by the fold's
// larger area, and the measured fold then replaces it (folds.ts), scratch and all. On a second renderer's
// cards 110 and 118 (scripts/eval/foreign-eval.ts) the network gave a 9 µm and a 14 µm scratch P(scratch)
// 0.96–0.97 along 20–28 mm, and they were reported nowhere: each was inside a "dent" 28–59 mm long with a
// fold. Here the defect pixels whose likeliest class is the scratch are grouped on their own, where a
// component of another type at least bigComponentMm long was.

/** A component of another type at least this long, mm, may hide a scratch (a fold; dents are 2–6 mm). */
const bigComponentMm = 10;
/** A scratch read on its own is at least this long, mm, and this many times as long as wide. */
const hiddenMinLengthMm = 5;
const hiddenMinAspect = 4;

/**
 * The probability map with its defect pixels split by class: a pixel whose likeliest defect class is the
 * scratch keeps its defect probability (1 − P(background)) as the scratch's, any other is background. The
 * components of this map are those of the network's defect pixels (same threshold), cut where the class
 * changes from scratch to another.
 */
function scratchClassOnly(p: ProbabilityMap): ProbabilityMap {
  const n = p.width * p.height, C = p.classes;
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    let best = 1;
    for (let c = 2; c < C; c++) if (p.data[c * n + i] > p.data[best * n + i]) best = c;
    const bg = best === 1 ? p.data[i] : 1;
    data[i] = bg; data[n + i] = 1 - bg;
  }
  return { ...p, classes: 2, data };
}

/**
 * Scratch candidates read from the scratch class alone inside the boxes of `found`'s long components of
 * another type, at least hiddenMinLengthMm long and hiddenMinAspect × as long as wide, not on the line of a
 * fold or crease (`lines`, model px; such pixels are the fold's, which the network sometimes calls
 * scratch along its length) and not already one of `found`'s scratches.
 */
export function hiddenScratches(probs: ProbabilityMap, found: DefectCandidate[], lines: { axisPx: [number, number, number, number]; widthMm: number }[], maps: CardSideMaps, modelMask: Uint8Array, pp: SurfacePostprocess, misfit: Float32Array): DefectCandidate[] {
  const big = found.filter((c) => c.defect.type !== 'scratch' && c.defect.lengthMm >= bigComponentMm);
  if (big.length === 0) return [];
  const f = probs.umPerPx / maps.umPerPx; // side px per model px
  const mmPerPx = probs.umPerPx / 1000;
  const within = (c: DefectCandidate): boolean => {
    const x = (c.axisPx[0] + c.axisPx[2]) / 2, y = (c.axisPx[1] + c.axisPx[3]) / 2;
    return big.some(({ defect: { boxPx: b } }) => x >= b[0] / f - 1 && x <= b[2] / f && y >= b[1] / f - 1 && y <= b[3] / f);
  };
  const scratches = found.filter((c) => c.defect.type === 'scratch').map((c) => ({ axisPx: c.axisPx, widthMm: c.defect.widthMm }));
  return defectCandidates(scratchClassOnly(probs), maps, modelMask, pp, misfit).filter((c) =>
    c.defect.lengthMm >= hiddenMinLengthMm && c.defect.lengthMm >= hiddenMinAspect * c.defect.widthMm && within(c)
    && !onLineOf(c, lines, mmPerPx) && !onLineOf(c, scratches, mmPerPx));
}
