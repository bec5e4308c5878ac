import t from 'tap';
import { measureFolds, withMeasuredFolds } from '../../../src/grading/surface/folds.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';
import { carve, dent, flatSide, fold, vGroove } from './relief-scene.ts';

// Folds measured in the relief (folds.ts) on a 40 × 60 mm side at the model's 60 µm/px, with 1 µm of
// relief noise. The fold is a second renderer's (scripts/eval/foreign_card.py): a valley with raised
// shoulders, its depth tapering at both ends.
const um = 60, W = Math.round(40000 / um), H = Math.round(60000 / um);
const pxOf = ([u, v]: [number, number]): [number, number] => [W / 2 + (u * 1000) / um - 0.5, H / 2 - (v * 1000) / um - 0.5];

const side = (): CardSideMaps => flatSide(40, 60, um, 5);

const measure = (maps: CardSideMaps, misfit?: Float32Array) => measureFolds(maps, maps, misfit, misfit ? 0.6 : undefined, 6);

t.test('a fold with raised shoulders is measured along its whole length, at its centre', async (t) => {
  const maps = side();
  carve(maps, [-3, 5], 63, fold(40, 1.2, 45));
  const folds = measure(maps);
  t.equal(folds.length, 1, 'one fold');
  const d = folds[0].defect;
  t.comment(`fold at ${d.centerMm.map((v) => v.toFixed(2))} mm, ${d.lengthMm.toFixed(1)} mm long, ${d.depthUm.toFixed(1)} µm deep, confidence ${d.confidence}`);
  t.equal(d.type, 'crease');
  t.ok(Math.hypot(d.centerMm[0] + 3, d.centerMm[1] - 5) <= 1, 'centre within 1 mm');
  t.ok(d.lengthMm >= 30 && d.lengthMm <= 42, `length ${d.lengthMm.toFixed(1)} mm of 40 (its ends taper out)`);
  t.ok(d.depthUm >= 0.8 * 45 && d.depthUm <= 1.2 * 45, `depth ${d.depthUm.toFixed(1)} µm within 20 % of 45`);
  t.ok(d.confidence > 0.9);
});

t.test('a scratch\'s narrow groove, a dent and the relief\'s noise are not folds', async (t) => {
  const maps = side();
  carve(maps, [5, -10], 20, vGroove(25, 0.25, 20));
  carve(maps, [-8, 18], 0, dent(3, 60));
  t.same(measure(maps).map((f) => f.defect.centerMm), [], 'no fold');
  t.same(measure(side()), [], 'none on a flat card');
});

t.test('a foil that is not surface, and the relief bent along its edges, are left out', async (t) => {
  const maps = side();
  const misfit = new Float32Array(W * H).fill(0.05);
  // A 20 × 16 mm foil whose wandering relief dips in straight valleys just outside its left and right edges.
  const [x0, y0] = pxOf([-10, 8]), [x1, y1] = pxOf([10, -8]);
  const rand = mulberry32(9);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const inside = x >= x0 && x < x1 && y >= y0 && y < y1;
      if (inside) { misfit[i] = 0.97; maps.reliefUm[i] += (rand() - 0.5) * 200; continue; }
      const dx = Math.max(x0 - x, x - x1, 0), dy = Math.max(y0 - y, y - y1, 0);
      const outMm = (Math.max(dx, dy) * um) / 1000;
      if (dy === 0 && dx <= 30) maps.reliefUm[i] -= 80 * Math.exp(-(((outMm - 0.5) / 0.4) ** 2));
    }
  }
  t.equal(measure(maps, misfit).length, 0, 'no fold along the foil\'s edges');
  // Without the misfit plane the same edges are folds: the foil and its margin are what keep them out.
  const noMargin = measure(maps);
  t.ok(noMargin.length >= 2, `without the misfit plane the foil's edges read as ${noMargin.length} folds`);
  // A fold crossing the foil: its pieces outside are one fold.
  carve(maps, [0, 0], 90, fold(50, 1.2, 50));
  const across = measure(maps, misfit);
  t.equal(across.length, 1, 'the fold across the foil is one fold');
  t.ok(Math.abs(across[0].defect.centerMm[0]) <= 1 && Math.abs(across[0].defect.centerMm[1]) <= 3, `at ${across[0].defect.centerMm.map((v) => v.toFixed(1))}, ${across[0].defect.lengthMm.toFixed(1)} mm long`);
  t.ok(across[0].defect.lengthMm >= 40, 'from one end to the other');
  t.ok(across[0].defect.depthUm >= 30 && across[0].defect.depthUm <= 55, `its depth (${across[0].defect.depthUm.toFixed(1)} µm) from the surface either side of the foil, not from the foil's wandering relief`);
});

function networkDefect(type: SurfaceDefect['type'], centerMm: [number, number], lengthMm: number, widthMm: number, angleDeg = 0): SurfaceDefect {
  // The box in side px around the line.
  const th = (angleDeg * Math.PI) / 180, hx = (Math.abs(Math.cos(th)) * lengthMm + Math.abs(Math.sin(th)) * widthMm) / 2, hy = (Math.abs(Math.sin(th)) * lengthMm + Math.abs(Math.cos(th)) * widthMm) / 2;
  const [a0, b0] = pxOf([centerMm[0] - hx, centerMm[1] + hy]), [a1, b1] = pxOf([centerMm[0] + hx, centerMm[1] - hy]);
  return { type, side: 'front', centerMm, lengthMm, widthMm, depthUm: 30, areaMm2: lengthMm * widthMm, confidence: 0.9, boxPx: [Math.floor(a0), Math.floor(b0), Math.ceil(a1), Math.ceil(b1)] };
}

t.test('with the network: a fold replaces dents and creases on its line, spans a network crease that reaches further, and gives way to a scratch', async (t) => {
  const maps = side();
  carve(maps, [0, -5], 90, fold(36, 1.2, 45));
  const folds = measure(maps);
  t.equal(folds.length, 1);
  const elsewhere = networkDefect('dent', [12, 20], 4, 4);
  // The network's pieces: a dent at each tapered end and a crease that runs on 8 mm past the fold's top.
  const net = [networkDefect('dent', [0.3, -22], 4, 4), networkDefect('dent', [-0.2, 12], 4, 4), networkDefect('crease', [0, 5], 36, 1.2, 90), elsewhere];
  const out = withMeasuredFolds(net, folds, maps, maps, 6);
  t.equal(out.length, 2, 'the dents and the crease on the line are the fold');
  t.same(out.find((d) => d.type === 'dent'), elsewhere, 'a dent off the line stays');
  const crease = out.find((d) => d.type === 'crease')!;
  t.comment(`fold ${folds[0].defect.centerMm.map((v) => v.toFixed(1))} ${folds[0].defect.lengthMm.toFixed(1)} mm → ${crease.centerMm.map((v) => v.toFixed(1))} ${crease.lengthMm.toFixed(1)} mm`);
  t.ok(crease.centerMm[1] > folds[0].defect.centerMm[1] + 2, 'the fold now reaches the network crease\'s far end');
  t.ok(Math.abs(crease.centerMm[1] - 0.5) <= 2, `centre at the middle of both (${crease.centerMm[1].toFixed(1)} mm, span −23 to 23)`);
  t.equal(crease.depthUm, folds[0].defect.depthUm, 'depth as measured along the fold');

  const scratch = networkDefect('scratch', [0, -4], 30, 0.3, 90);
  const withScratch = withMeasuredFolds([scratch], folds, maps, maps, 6);
  t.same(withScratch, [scratch], 'a network scratch along the line keeps it a scratch');
  t.same(withMeasuredFolds(net, [], maps, maps, 6), net, 'no fold: the network\'s answer as it was');
});
