import t from 'tap';
import { dentsOnFolds } from '../../../src/grading/surface/fold-dents.ts';
import { measureFolds } from '../../../src/grading/surface/folds.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

// Dents beside a measured fold (fold-dents.ts) on a 40 × 60 mm side at the model's 60 µm/px with 1 µm of
// relief noise: a second renderer's fold (a valley with raised shoulders, tapering at its ends) and a
// Gaussian dent pressed 2 mm from its line, inside the band the network's fold component covers.
const um = 60, W = Math.round(40000 / um), H = Math.round(60000 / um);

function side(): CardSideMaps {
  const n = W * H, rand = mulberry32(21);
  const maps: CardSideMaps = { side: 'front', widthPx: W, heightPx: H, umPerPx: um, mask: new Uint8Array(n).fill(1), normals: new Float32Array(3 * n), albedo: new Float32Array(n).fill(0.5), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(0.95) };
  for (let i = 0; i < n; i++) { maps.normals[3 * i + 2] = 1; maps.reliefUm[i] = (rand() - 0.5) * 2; }
  return maps;
}

function carve(maps: CardSideMaps, centreMm: [number, number], angleDeg: number, f: (al: number, ac: number) => number): void {
  const th = (angleDeg * Math.PI) / 180, c = Math.cos(th), s = Math.sin(th);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = ((x + 0.5 - W / 2) * um) / 1000 - centreMm[0], v = ((H / 2 - y - 0.5) * um) / 1000 - centreMm[1];
      maps.reliefUm[y * W + x] += f(u * c + v * s, -u * s + v * c);
    }
  }
}

const fold = (lengthMm: number, widthMm: number, depthUm: number) => (al: number, ac: number): number => {
  const along = Math.max(0, 1 - (Math.abs(al) / (lengthMm / 2)) ** 4);
  return -depthUm * along * (Math.exp(-((ac / (widthMm / 2)) ** 2)) - 0.25 * Math.exp(-((ac / widthMm) ** 2)));
};
const dent = (radiusMm: number, depthUm: number) => (al: number, ac: number): number => -depthUm * Math.exp(-(al * al + ac * ac) / (2 * (radiusMm / 2) ** 2));
const vGroove = (lengthMm: number, widthMm: number, depthUm: number) => (al: number, ac: number): number =>
  Math.abs(al) <= lengthMm / 2 ? -depthUm * Math.max(0, 1 - Math.abs(ac) / (widthMm / 2)) : 0;

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
