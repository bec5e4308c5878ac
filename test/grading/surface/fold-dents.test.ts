import t from 'tap';
import { dentsOnFolds } from '../../../src/grading/surface/fold-dents.ts';
import { measureFolds } from '../../../src/grading/surface/folds.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { carve, dent, flatSide, fold, vGroove } from './relief-scene.ts';

// Dents beside a measured fold (fold-dents.ts) on a 40 × 60 mm side at the model's 60 µm/px with 1 µm of
// relief noise: a second renderer's fold (a valley with raised shoulders, tapering at its ends) and a
// Gaussian dent pressed 2 mm from its line, inside the band the network's fold component covers.
const um = 60;

const side = (): CardSideMaps => flatSide(40, 60, um, 21);

function measure(maps: CardSideMaps, reported: SurfaceDefect[] = []): SurfaceDefect[] {
  const folds = measureFolds(maps, maps, undefined, undefined, 6);
  return dentsOnFolds([...reported, ...folds.map((f) => f.defect)], folds, maps, maps, undefined, undefined, 6);
}

t.test('a dent pressed beside a fold is found at its place with its own depth', async (t) => {
  const maps = side();
  carve(maps, [-2, 3], 70, fold(44, 1.2, 50));
  // 2 mm across the fold's line from (−2, 3) + 5 mm along it.
  const th = (70 * Math.PI) / 180;
  const at: [number, number] = [-2 + 5 * Math.cos(th) + 2 * Math.sin(th), 3 + 5 * Math.sin(th) - 2 * Math.cos(th)];
  carve(maps, at, 0, dent(3.5, 40));
  const dents = measure(maps);
  t.equal(dents.length, 1, 'one dent');
  const d = dents[0];
  t.comment(`dent at ${d.centerMm.map((v) => v.toFixed(2))} (truth ${at.map((v) => v.toFixed(2))}), ${d.depthUm.toFixed(1)} µm, ${d.lengthMm.toFixed(1)} × ${d.widthMm.toFixed(1)} mm`);
  t.equal(d.type, 'dent');
  t.ok(Math.hypot(d.centerMm[0] - at[0], d.centerMm[1] - at[1]) <= 1, 'within 1 mm of its centre');
  t.ok(Math.abs(d.depthUm - 40) <= 8, `depth ${d.depthUm.toFixed(1)} µm within 8 µm of 40 (the fold's own depth taken out)`);
  t.same(measure(maps, [{ ...d, confidence: 0.9 }]), [], 'not a second time when the network reported it');
});

t.test('a fold alone, or crossed by a scratch, has no dent', async (t) => {
  const plain = side();
  carve(plain, [-2, 3], 70, fold(44, 1.2, 50));
  t.same(measure(plain), [], 'the fold\'s tapered ends and shoulders are its own cross-section');
  const crossed = side();
  carve(crossed, [-2, 3], 70, fold(44, 1.2, 50));
  carve(crossed, [0, 8], 150, vGroove(20, 0.3, 25));
  t.same(measure(crossed).map((d) => d.centerMm), [], 'a 25 µm scratch across the band is not round: no dent');
});
