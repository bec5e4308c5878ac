import t from 'tap';
import { surfaceModelClasses } from '../../../src/grading/surface/classes.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';
import { cardFrame, defectCandidates, finishCandidates, type DefectCandidate, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import { followMeanProbability, followMinValleyUm, followScratches } from '../../../src/grading/surface/scratch-follow.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';
import { H, n, paint, sceneMaps, sceneProbabilities, um, W } from './probability-scene.ts';

// A network's probability map on a 40 × 60 mm side at 60 µm/px, as the held-out sides showed it: a 20 mm
// scratch seen at the threshold along part of it only. The rest reads 0.5–0.6 (under the threshold 0.7,
// far above the background's 0.1) with spots at the threshold too small to be components, or is crossed by a
// crease whose pixels are the crease's.
const scratch = surfaceModelClasses.indexOf('scratch'), crease = surfaceModelClasses.indexOf('crease');
const pp: SurfacePostprocess = { threshold: 0.7, minAreaMm2: 0.3, minConfidence: 0.7, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6, joinLinearGapMm: 10, printLineMinContrast: 0.007, maxReliefMisfit: 0.6, maxReliefDepthUm: 300, minDentDepthUm: 10 };

const maps = sceneMaps;
/** Background 0.9 everywhere (a defect probability of 0.1, what the card around a scratch reads). */
const probabilities = (): ProbabilityMap => sceneProbabilities(0.9);

/**
 * A scratch's faint stretch: `prob` along the band, with spots of 0.9 every 1 mm (0.24 mm long, under the
 * minimum area) and at both ends.
 */
function paintFaint(p: ProbabilityMap, c: [number, number], angleDeg: number, lengthMm: number, widthMm: number, prob: number): void {
  paint(p, scratch, c, angleDeg, lengthMm, widthMm, prob);
  const th = (angleDeg * Math.PI) / 180;
  const spots = Math.floor(lengthMm);
  for (let k = 0; k <= spots; k++) {
    const a = -lengthMm / 2 + 0.12 + ((lengthMm - 0.24) * k) / spots;
    paint(p, scratch, [c[0] + a * Math.cos(th), c[1] + a * Math.sin(th)], angleDeg, 0.24, widthMm, 0.9);
  }
}

/** The detector's steps up to the follow: the components, joined, then followed. */
function followed(p: ProbabilityMap, m: CardSideMaps, misfit: Float32Array): { before: DefectCandidate[]; after: DefectCandidate[] } {
  const before = finishCandidates(defectCandidates(p, m, m.mask, pp, misfit), m, um, pp.cornerZoneMm, pp.joinLinearGapMm);
  const after = followScratches(before, p, m, m, misfit, pp.maxReliefMisfit, pp.threshold, Math.round(pp.edgeMarginMm / (um / 1000)), cardFrame(m, um, pp.cornerZoneMm));
  return { before, after };
}

const scratchesOf = (cs: DefectCandidate[]): DefectCandidate[] => cs.filter((c) => c.defect.type === 'scratch');
const describe = (c: DefectCandidate): string => `${c.defect.type}@${c.defect.centerMm.map((v) => v.toFixed(2)).join(',')} ${c.defect.lengthMm.toFixed(2)} mm, ${c.defect.depthUm.toFixed(1)} µm`;

t.test('a scratch seen at the threshold along 8 of its 20 mm is followed to its ends', async (t) => {
  const m = maps(), p = probabilities(), misfit = new Float32Array(n).fill(0.02);
  // The scratch from (−5, −8.66) to (5, 8.66) at 60°: faint along all of it, 0.95 from 2 to 10 mm along.
  paintFaint(p, [0, 0], 60, 20, 0.25, 0.55);
  paint(p, scratch, [Math.cos(Math.PI / 3) * 6, Math.sin(Math.PI / 3) * 6], 60, 8, 0.25, 0.95);
  const { before, after } = followed(p, m, misfit);
  t.comment(`before: ${before.map(describe).join('; ')}; after: ${after.map(describe).join('; ')}`);
  t.equal(scratchesOf(before).length, 1, 'the network\'s components: the 8 mm piece');
  t.ok(Math.hypot(...scratchesOf(before)[0].defect.centerMm) > 5, 'which is centred 6 mm off the scratch\'s middle');
  const [s] = scratchesOf(after);
  t.ok(Math.hypot(...s.defect.centerMm) < 0.3, `followed: centred ${Math.hypot(...s.defect.centerMm).toFixed(2)} mm from the middle`);
  t.ok(Math.abs(s.defect.lengthMm - 20) < 0.6, `and ${s.defect.lengthMm.toFixed(2)} mm long (20)`);
  t.ok(s.defect.areaMm2 > scratchesOf(before)[0].defect.areaMm2 * 2, 'its area grows with its length');
  // Without the faint stretch the background (0.1) stops it at once.
  const p2 = probabilities();
  paint(p2, scratch, [Math.cos(Math.PI / 3) * 6, Math.sin(Math.PI / 3) * 6], 60, 8, 0.25, 0.95);
  const alone = followed(p2, m, misfit);
  t.same(alone.after.map(describe), alone.before.map(describe), 'a piece on the plain card stays as it is');
  // Faint stretches just under the running mean do not carry it either.
  const p3 = probabilities();
  paint(p3, scratch, [0, 0], 60, 20, 0.25, followMeanProbability - 0.08);
  paint(p3, scratch, [Math.cos(Math.PI / 3) * -9.88, Math.sin(Math.PI / 3) * -9.88], 60, 0.24, 0.25, 0.9);
  paint(p3, scratch, [Math.cos(Math.PI / 3) * 6, Math.sin(Math.PI / 3) * 6], 60, 8, 0.25, 0.95);
  const under = followed(p3, m, misfit);
  t.same(under.after.map(describe), under.before.map(describe), `a stretch at ${(followMeanProbability - 0.08).toFixed(2)} is not followed to the spot at its end`);
});

t.test('across a crease: the scratch beyond it is followed, a crease alone beyond its end is not', async (t) => {
  const m = maps(), misfit = new Float32Array(n).fill(0.02);
  // A vertical crease at u = 2 mm, 1.4 mm wide and 110 µm deep in the relief; a 16 mm scratch at 20°
  // centred at the origin crosses it, 8 µm deep. The crossing's pixels are the crease's.
  const p = probabilities();
  paint(p, scratch, [0, 0], 20, 16, 0.25, 0.97, { maps: m, depthUm: 8 });
  // A faint stretch of 0.6 mm just left of the crease: the piece left of it is a component of its own, the
  // scratch right of the crease joins the crease's (as on the held-out sides).
  paint(p, scratch, [Math.cos(Math.PI / 9) * 0.9, Math.sin(Math.PI / 9) * 0.9], 20, 0.6, 0.25, 0.55);
  paint(p, crease, [2, 0], 90, 40, 1.4, 0.97, { maps: m, depthUm: 110 });
  const piece = scratchesOf(finishCandidates(defectCandidates(p, m, m.mask, pp, misfit), m, um, pp.cornerZoneMm, pp.joinLinearGapMm));
  t.comment(`pieces: ${piece.map(describe).join('; ')}`);
  t.equal(piece.length, 1, 'the network\'s scratch: the piece left of the crease');
  t.ok(piece[0].defect.lengthMm < 9, `${piece[0].defect.lengthMm.toFixed(2)} mm of the 16`);
  const { after } = followed(p, m, misfit);
  const s = scratchesOf(after).sort((a, b) => b.defect.lengthMm - a.defect.lengthMm)[0];
  t.ok(s.defect.lengthMm > 15, `followed across the crease: ${describe(s)}`);
  t.ok(Math.hypot(...s.defect.centerMm) < 0.5, 'centred on the scratch');
  t.ok(s.defect.depthUm < 20, `its depth is the scratch's, not the crease's 110 µm: ${s.defect.depthUm.toFixed(1)} µm`);

  // A scratch that ends at the crease (its left piece and the faint stretch as above, nothing beyond): the
  // crease's pixels are not the scratch.
  const m2 = maps(), p2 = probabilities();
  const along = (a: number): [number, number] => [a * Math.cos(Math.PI / 9), a * Math.sin(Math.PI / 9)];
  paint(p2, scratch, along(-3.7), 20, 8.6, 0.25, 0.97, { maps: m2, depthUm: 8 });
  paint(p2, scratch, along(0.9), 20, 0.6, 0.25, 0.55);
  paint(p2, crease, [2, 0], 90, 40, 1.4, 0.97, { maps: m2, depthUm: 110 });
  const ends = followed(p2, m2, misfit);
  const [e] = scratchesOf(ends.after);
  const [b] = scratchesOf(ends.before);
  t.ok(e.defect.lengthMm <= b.defect.lengthMm + 0.2, `not carried into the crease: ${describe(b)} -> ${describe(e)}`);
});

t.test('not past the card\'s edge margin, nor into foil', async (t) => {
  const m = maps(), p = probabilities();
  // A horizontal scratch along v = 10 mm reaching the card's right edge faintly, its left part in foil.
  paintFaint(p, [5, 10], 0, 30, 0.25, 0.55);
  paint(p, scratch, [5, 10], 0, 6, 0.25, 0.95);
  const misfit = new Float32Array(n).fill(0.02);
  for (let y = 0; y < H; y++) for (let x = 0; x < Math.round(W / 2 - 2000 / um); x++) misfit[y * W + x] = 0.9;
  const { after } = followed(p, m, misfit);
  const [s] = scratchesOf(after);
  const frame = cardFrame(m, um, pp.cornerZoneMm);
  const xs = [s.axisPx[0], s.axisPx[2]].map((x) => frame.toCardMm(x, 0)[0]);
  t.ok(Math.max(...xs) <= 20 - pp.edgeMarginMm + 0.1, `right end ${Math.max(...xs).toFixed(2)} mm: inside the edge margin (card edge 20 mm)`);
  t.ok(Math.max(...xs) > 18.5, 'but followed to its last spot inside it');
  t.ok(Math.min(...xs) >= -2.1, `left end ${Math.min(...xs).toFixed(2)} mm: stops where the foil begins (−2 mm)`);
});

t.test('beyond what the network sees, the groove in the relief carries the scratch on: also where the photometric stereo fits poorly, not into a foil\'s wandering relief, not for a groove under the noise', async (t) => {
  // A 20 mm scratch at 30° centred at the origin, a 3 µm groove all along it (the held-out side's was 3.5 µm
  // over a card back's dark ring): the network sees 8 mm of it (from 2 to 10 mm along) and reads the rest as
  // background, where the fit is poor (misfit 0.8, above the foil gate: the probability's follow stops there).
  const th = Math.PI / 6;
  const along = (a: number): [number, number] => [a * Math.cos(th), a * Math.sin(th)];
  const scene = (depthUm: number, beyond: 'groove' | 'foil'): { m: CardSideMaps; p: ProbabilityMap; misfit: Float32Array } => {
    const m = maps(), p = probabilities(), misfit = new Float32Array(n).fill(0.02);
    paint(sceneProbabilities(), scratch, [0, 0], 30, 20, 0.25, 0.95, { maps: m, depthUm });
    paint(p, scratch, along(6), 30, 8, 0.25, 0.95);
    // Left of u = 1 mm (the piece starts at u = 1.73): poorly fitted, and with `foil` a relief that wanders by
    // ±100 µm from pixel to pixel, as a foil's integrated normals do.
    let seed = 7;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < Math.round(W / 2 + 1000 / um); x++) {
        const i = y * W + x;
        misfit[i] = beyond === 'foil' ? 0.95 : 0.8;
        if (beyond === 'foil') {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          m.reliefUm[i] = (seed / 2 ** 32 - 0.5) * 200;
        }
      }
    }
    return { m, p, misfit };
  };
  const g = scene(3, 'groove');
  const grooved = followed(g.p, g.m, g.misfit);
  const [piece] = scratchesOf(grooved.before);
  t.ok(Math.hypot(...piece.defect.centerMm) > 5, `the network's piece: ${describe(piece)}`);
  const [s] = scratchesOf(grooved.after);
  t.ok(Math.hypot(...s.defect.centerMm) < 0.4, `followed along its groove: ${describe(s)}`);
  t.ok(Math.abs(s.defect.lengthMm - 20) < 0.8, `to both ends (20 mm): ${s.defect.lengthMm.toFixed(2)} mm`);

  const f = scene(3, 'foil');
  const foil = followed(f.p, f.m, f.misfit);
  const [pf] = scratchesOf(foil.before), [sf] = scratchesOf(foil.after);
  t.ok(sf.defect.lengthMm <= pf.defect.lengthMm + 1.2, `not into the foil's relief: ${describe(pf)} -> ${describe(sf)}`);

  const shallow = scene(followMinValleyUm * 0.6, 'groove');
  const sh = followed(shallow.p, shallow.m, shallow.misfit);
  t.same(sh.after.map(describe), sh.before.map(describe), `a groove of ${(followMinValleyUm * 0.6).toFixed(1)} µm (under ${followMinValleyUm}) is not followed`);
});
