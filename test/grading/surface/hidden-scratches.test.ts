import t from 'tap';
import { surfaceModelClasses } from '../../../src/grading/surface/classes.ts';
import { withHiddenScratches } from '../../../src/grading/surface/hidden-scratches.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';
import { defectCandidates, type DefectCandidate, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';
import { H, n, paint, sceneMaps, sceneProbabilities, um, W } from './probability-scene.ts';

// A network's probability map on a 40 × 60 mm side at 60 µm/px: a fold the network calls "dent" (a band
// 1.2 mm wide, 40 mm long, vertical) and a scratch (0.3 mm wide, 20 mm long) that crosses it. Their
// defect pixels touch, so the network's components hold both in one, typed by the fold's larger area.
const scratch = surfaceModelClasses.indexOf('scratch'), dent = surfaceModelClasses.indexOf('dent');
const pp: SurfacePostprocess = { threshold: 0.7, minAreaMm2: 0.3, minConfidence: 0.7, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6, joinLinearGapMm: 10, printLineMinContrast: 0.007, maxReliefMisfit: 0.6, maxReliefDepthUm: 300, minDentDepthUm: 10 };
const px = (u: number, v: number): [number, number] => [W / 2 + (u * 1000) / um - 0.5, H / 2 - (v * 1000) / um - 0.5];

/** withHiddenScratches' scratches that the network's own candidates did not have. */
function hiddenScratches(p: ProbabilityMap, found: DefectCandidate[], folds: { axisPx: [number, number, number, number]; widthMm: number }[], m: CardSideMaps, misfit: Float32Array): DefectCandidate[] {
  return withHiddenScratches(p, found, folds, m, m.mask, pp, misfit).filter((c) => !found.includes(c) && c.defect.type === 'scratch');
}

const maps = sceneMaps;
const probabilities = (): ProbabilityMap => sceneProbabilities(1);

t.test('a scratch crossing a fold the network calls a dent is found inside the fold\'s component', async (t) => {
  const m = maps(), p = probabilities();
  paint(p, dent, [0, 0], 90, 40, 1.2);
  paint(p, scratch, [3, 5], 30, 20, 0.3);
  const misfit = new Float32Array(n).fill(0.02);
  const found = defectCandidates(p, m, m.mask, pp, misfit);
  t.same(found.map((c) => c.defect.type), ['dent'], 'the network\'s components: one "dent" holding both');
  const hidden = hiddenScratches(p, found, [], m, misfit);
  t.comment(`hidden: ${hidden.map((c) => `${c.defect.type}@${c.defect.centerMm.map((v) => v.toFixed(1))} ${c.defect.lengthMm.toFixed(1)} mm`).join(', ')}`);
  // Where the two cross, the pixels are the scratch's (painted last): one scratch, its whole length.
  t.equal(hidden.length, 1, 'one scratch comes out');
  t.equal(hidden[0].defect.type, 'scratch');
  t.ok(Math.abs(hidden[0].defect.lengthMm - 20) <= 1, `its length ${hidden[0].defect.lengthMm.toFixed(1)} mm of 20`);
  const th = (30 * Math.PI) / 180;
  for (const c of hidden) {
    const du = c.defect.centerMm[0] - 3, dv = c.defect.centerMm[1] - 5;
    t.ok(Math.abs(-du * Math.sin(th) + dv * Math.cos(th)) < 0.3, `on the scratch's line (${c.defect.centerMm.map((v) => v.toFixed(1))})`);
  }
  const fold = { axisPx: [...px(0, -20), ...px(0, 20)] as [number, number, number, number], widthMm: 1.2 };
  t.equal(hiddenScratches(p, found, [fold], m, misfit).length, hidden.length, 'a fold across it does not take the scratch');
  const along = { axisPx: [...px(3 - 12 * Math.cos(th), 5 - 12 * Math.sin(th)), ...px(3 + 12 * Math.cos(th), 5 + 12 * Math.sin(th))] as [number, number, number, number], widthMm: 1.2 };
  t.same(hiddenScratches(p, found, [along], m, misfit), [], 'a measured fold along it does: scratch-typed pixels on a fold\'s line are the fold\'s');
});

t.test('nothing without a long component of another type, and no second copy of a scratch the network has', async (t) => {
  const m = maps(), misfit = new Float32Array(n).fill(0.02);
  const alone = probabilities();
  paint(alone, scratch, [3, 5], 30, 20, 0.3);
  const foundAlone = defectCandidates(alone, m, m.mask, pp, misfit);
  t.same(foundAlone.map((c) => c.defect.type), ['scratch']);
  t.same(hiddenScratches(alone, foundAlone, [], m, misfit), [], 'a scratch on its own is the network\'s');
  const beside = probabilities();
  paint(beside, scratch, [3, 5], 30, 20, 0.3);
  paint(beside, dent, [-12, -20], 90, 14, 1.2);
  const found = defectCandidates(beside, m, m.mask, pp, misfit);
  t.same(found.map((c) => c.defect.type).sort(), ['crease', 'scratch'], 'a long "dent" is a crease (isFoldShaped)');
  t.same(hiddenScratches(beside, found, [], m, misfit), [], 'a long component elsewhere hides nothing');
  const small = probabilities();
  paint(small, dent, [0, 0], 0, 4, 4);
  paint(small, scratch, [0, 0], 30, 3, 0.3);
  t.same(hiddenScratches(small, defectCandidates(small, m, m.mask, pp, misfit), [], m, misfit), [], 'a dent is too short to hide a scratch worth reporting');
});

t.test('a scratch touching a dent: the two come out apart, the dent at its own centre', async (t) => {
  const m = maps(), p = probabilities(), misfit = new Float32Array(n).fill(0.02);
  // The network's "dent" of both is 12 mm long (the scratch's length): a big component of another type.
  paint(p, dent, [5, 0], 0, 4, 4);
  paint(p, scratch, [-3, 0], 0, 12, 0.3);
  const found = defectCandidates(p, m, m.mask, pp, misfit);
  t.equal(found.length, 1, 'one component');
  const split = withHiddenScratches(p, found, [], m, m.mask, pp, misfit);
  t.comment(split.map((c) => `${c.defect.type}@${c.defect.centerMm.map((v) => v.toFixed(1))} ${c.defect.lengthMm.toFixed(1)} mm`).join(', '));
  t.same(split.map((c) => c.defect.type).sort(), ['dent', 'scratch'], 'a dent and a scratch');
  const d = split.find((c) => c.defect.type === 'dent')!.defect;
  t.ok(Math.hypot(d.centerMm[0] - 5, d.centerMm[1]) <= 0.5, `the dent at its own centre (${d.centerMm.map((v) => v.toFixed(1))})`);
  t.notOk(split.includes(found[0]), 'the mixed component is gone');
});
