import t from 'tap';
import { blockScratchesToKeep, blockSolvedScratches, goodBlockRegions, onLineOf, scratchesInsideBlockRegions } from '../../../src/grading/surface/block-scratches.ts';
import { surfaceDefectsOf } from '../../../src/grading/surface/detector.ts';
import { surfaceFeatureChannels, surfaceFeatureSpec } from '../../../src/grading/surface/features.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';
import { cardFrame, type DefectCandidate } from '../../../src/grading/surface/postprocess.ts';
import { surfaceModelClasses } from '../../../src/grading/surface/classes.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

// Scratches where the relief was solved at the block scale (block-scratches.ts), on a 40 × 60 mm side at
// the model's 60 µm/px with 1 µm of relief noise outside a 24 × 30 mm foil that photometric stereo solved
// at 0.4 mm blocks (blockSolved; 0.2 µm of smooth noise there). A scratch inside the foil is what the
// blocks leave of it: a groove as wide as a block (σ 0.25 mm) and a few µm deep.
const um = 60, W = Math.round(40000 / um), H = Math.round(60000 / um);
const foilMm = { x0: -12, x1: 12, y0: -15, y1: 15 };
const inFoil = (u: number, v: number): boolean => u >= foilMm.x0 && u < foilMm.x1 && v >= foilMm.y0 && v < foilMm.y1;
const mmOf = (x: number, y: number): [number, number] => [((x + 0.5 - W / 2) * um) / 1000, ((H / 2 - y - 0.5) * um) / 1000];
const pp: SurfacePostprocess = { threshold: 0.7, minAreaMm2: 0.3, minConfidence: 0.7, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6, joinLinearGapMm: 10, printLineMinContrast: 0.007, maxReliefMisfit: 0.6, maxReliefDepthUm: 300, minDentDepthUm: 10 };

function side(foilMisfit = 0.01): { maps: CardSideMaps; misfit: Float32Array } {
  const n = W * H, rand = mulberry32(11);
  const maps: CardSideMaps = { side: 'front', widthPx: W, heightPx: H, umPerPx: um, mask: new Uint8Array(n).fill(1), normals: new Float32Array(3 * n), albedo: new Float32Array(n).fill(0.5), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(0.95), blockSolved: new Uint8Array(n) };
  const misfit = new Float32Array(n).fill(0.02);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      maps.normals[3 * i + 2] = 1;
      const foil = inFoil(...mmOf(x, y));
      maps.reliefUm[i] = (rand() - 0.5) * (foil ? 0.4 : 2);
      if (foil) { maps.blockSolved![i] = 1; misfit[i] = foilMisfit; }
    }
  }
  return { maps, misfit };
}

/** Add a relief feature f(along, across) (mm from the centre, along the angle) in µm. */
function carve(maps: CardSideMaps, centreMm: [number, number], angleDeg: number, f: (al: number, ac: number, u: number, v: number) => number): void {
  const th = (angleDeg * Math.PI) / 180, c = Math.cos(th), s = Math.sin(th);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [u, v] = mmOf(x, y);
      const du = u - centreMm[0], dv = v - centreMm[1];
      maps.reliefUm[y * W + x] += f(du * c + dv * s, -du * s + dv * c, u, v);
    }
  }
}

/** What 0.4 mm blocks leave of a scratch: a Gaussian groove σ 0.25 mm wide. */
const blurredGroove = (lengthMm: number, depthUm: number) => (al: number, ac: number): number =>
  Math.abs(al) <= lengthMm / 2 ? -depthUm * Math.exp(-(ac * ac) / (2 * 0.25 * 0.25)) : 0;

const find = (maps: CardSideMaps, misfit: Float32Array): DefectCandidate[] => blockSolvedScratches(maps, maps, misfit, goodBlockRegions(maps, misfit), 6);

t.test('a scratch inside a block-solved foil, a blurred groove a few µm deep, is found along its length', async (t) => {
  const { maps, misfit } = side();
  carve(maps, [2, -3], 35, blurredGroove(14, 4));
  const found = find(maps, misfit);
  t.equal(found.length, 1, 'one scratch');
  const d = found[0].defect;
  t.comment(`scratch at ${d.centerMm.map((v) => v.toFixed(2))} mm, ${d.lengthMm.toFixed(1)} mm long, ${d.widthMm.toFixed(2)} mm wide, confidence ${d.confidence}`);
  t.equal(d.type, 'scratch');
  t.ok(Math.hypot(d.centerMm[0] - 2, d.centerMm[1] + 3) <= 1, 'centre within 1 mm');
  t.ok(d.lengthMm >= 11 && d.lengthMm <= 15, `length ${d.lengthMm.toFixed(1)} mm of 14`);
  t.ok(d.confidence >= 0.63 && d.confidence < 1);
});

t.test('nothing is searched where no block was solved, nor where the blocks fit badly', async (t) => {
  const plain = side();
  carve(plain.maps, [2, -3], 35, blurredGroove(14, 4));
  t.same(find({ ...plain.maps, blockSolved: undefined }, plain.misfit), [], 'without blockSolved: nothing (the network has the per-pixel relief there)');
  // A grating that beat with the blocks leaves them at misfit ~0.12 and ridges across the foil.
  const beat = side(0.12);
  carve(beat.maps, [0, 0], 135, (al) => 3 * Math.cos((al / 3.5) * 2 * Math.PI));
  t.same(find(beat.maps, beat.misfit), [], 'a region with a median misfit above blockMaxMisfit is left alone');
  const ok = side();
  t.same(find(ok.maps, ok.misfit), [], 'a clean, well-fitted foil: nothing');
});

t.test('the relief bent at the foil\'s edge is not a scratch', async (t) => {
  const { maps, misfit } = side();
  // A 3 µm step down into the foil, smoothed over a block (the ring of blocks across the edge).
  carve(maps, [0, 0], 0, (_al, _ac, u, v) => {
    const d = Math.min(u - foilMm.x0, foilMm.x1 - u, v - foilMm.y0, foilMm.y1 - v);
    return -3 / (1 + Math.exp(-d / 0.1));
  });
  const f = find(maps, misfit); t.comment(JSON.stringify(f.map((c) => [c.defect.centerMm, c.defect.lengthMm, c.defect.confidence])));
  t.same(f.map((c) => c.defect.centerMm), [], 'no scratch along the edges');
});

t.test('a short piece stands alone only when long enough; in line with a network scratch it joins it', async (t) => {
  const { maps, misfit } = side();
  // A scratch crossing the foil's right edge: 3.5 mm of it inside, blurred; outside the network sees it.
  carve(maps, [10.25, 4], 0, blurredGroove(3.5, 4));
  const pieces = find(maps, misfit);
  t.equal(pieces.length, 1, 'the piece inside the foil is found');
  const frame = cardFrame(maps, um, 6);
  t.same(blockScratchesToKeep(pieces, [], frame, 10), [], `alone, ${pieces[0].defect.lengthMm.toFixed(1)} mm is too short to report`);
  // The network's piece outside: x 12.6–20 mm on the same line.
  const a: [number, number] = [W / 2 + (12.6 * 1000) / um - 0.5, H / 2 - (4 * 1000) / um - 0.5], b: [number, number] = [W / 2 + (19.9 * 1000) / um - 0.5, a[1]];
  const outside: DefectCandidate = { defect: { type: 'scratch', side: 'front', centerMm: [16.25, 4], lengthMm: 7.4, widthMm: 0.3, depthUm: 15, areaMm2: 2.2, confidence: 0.95, boxPx: [Math.floor(a[0]), Math.floor(a[1]) - 3, Math.ceil(b[0]), Math.ceil(a[1]) + 3] }, meanMisfit: 0.02, axisPx: [a[0], a[1], b[0], b[1]] };
  t.equal(blockScratchesToKeep(pieces, [outside], frame, 10).length, 1, 'kept: it joins the network\'s piece');
  const elsewhere: DefectCandidate = { ...outside, axisPx: [a[0], a[1] + 100, b[0], b[1] + 100] };
  t.same(blockScratchesToKeep(pieces, [elsewhere], frame, 10), [], 'not kept beside a scratch that is not in line');
});

t.test('a valley on a fold\'s line, or past its tapered end, is the fold\'s', async (t) => {
  const { maps, misfit } = side();
  carve(maps, [-2, 0], 60, blurredGroove(20, 5));
  const pieces = find(maps, misfit);
  t.equal(pieces.length, 1);
  const th = (60 * Math.PI) / 180;
  const lineAt = (fromMm: number, toMm: number) => {
    const p = (s: number): [number, number] => [W / 2 + ((-2 + s * Math.cos(th)) * 1000) / um - 0.5, H / 2 - ((s * Math.sin(th)) * 1000) / um - 0.5];
    const [x0, y0] = p(fromMm), [x1, y1] = p(toMm);
    return { axisPx: [x0, y0, x1, y1] as [number, number, number, number], widthMm: 1.5 };
  };
  t.ok(onLineOf(pieces[0], [lineAt(-30, 30)], um / 1000), 'on a fold along it');
  t.ok(onLineOf(pieces[0], [lineAt(-40, -11)], um / 1000), 'past a fold\'s end by under 3 mm (a fold tapers)');
  t.notOk(onLineOf(pieces[0], [lineAt(-40, -16)], um / 1000), 'not past it by more');
  const across = { axisPx: [W / 2 - 200, H / 2, W / 2 + 200, H / 2] as [number, number, number, number], widthMm: 1.5 };
  t.notOk(onLineOf(pieces[0], [across], um / 1000), 'not on a fold that crosses it');
});

t.test('surfaceDefectsOf reports a scratch inside the foil beside the network\'s (here: nothing) with its depth', async (t) => {
  const { maps, misfit } = side();
  carve(maps, [2, -3], 35, blurredGroove(14, 4));
  const K = surfaceModelClasses.length, n = W * H;
  const probs = { classes: K, width: W, height: H, umPerPx: um, data: new Float32Array(K * n) };
  probs.data.fill(1, 0, n); // P(background) = 1 everywhere
  const features = new Float32Array(surfaceFeatureChannels * n);
  features.set(misfit, surfaceFeatureSpec.channels.indexOf('ps-misfit') * n);
  const defects = surfaceDefectsOf(probs, features, maps, maps, pp);
  t.equal(defects.length, 1, 'one defect');
  const d = defects[0];
  t.comment(`${d.type} at ${d.centerMm.map((v) => v.toFixed(2))} mm, ${d.lengthMm.toFixed(1)} mm, ${d.depthUm.toFixed(1)} µm deep`);
  t.equal(d.type, 'scratch');
  t.ok(d.depthUm >= 2.5 && d.depthUm <= 5, `depth measured along the line: ${d.depthUm.toFixed(1)} µm of the 4 µm groove`);
  t.same(surfaceDefectsOf(probs, features, { ...maps, blockSolved: undefined }, maps, pp), [], 'without blockSolved the same maps give nothing');
});

t.test('a network scratch inside a well-fitted block region, its blocks failed along it, is not a foil\'s misfit', async (t) => {
  const { maps, misfit } = side();
  // The blocks along a scratch fit badly and keep their pixels' failed fit: a hole 0.8 mm wide in the region.
  const px = (u: number, v: number): [number, number] => [W / 2 + (u * 1000) / um - 0.5, H / 2 - (v * 1000) / um - 0.5];
  const [ax, ay] = px(-6, 2), [bx, by] = px(6, 2);
  for (let y = Math.round(ay) - 7; y <= Math.round(ay) + 7; y++) for (let x = Math.round(ax); x <= Math.round(bx); x++) { maps.blockSolved![y * W + x] = 0; misfit[y * W + x] = 0.78; }
  const scratch = (a: [number, number], b: [number, number], lengthMm: number): DefectCandidate => ({ defect: { type: 'scratch', side: 'front', centerMm: [0, 0], lengthMm, widthMm: 0.4, depthUm: 15, areaMm2: lengthMm * 0.4, confidence: 0.9, boxPx: [0, 0, 1, 1] }, meanMisfit: 0.78, axisPx: [a[0], a[1], b[0], b[1]] });
  const inFoilScratch = scratch([ax, ay], [bx, by], 12);
  const short = scratch(px(-1, 2), px(1, 2), 2);
  const outside = scratch(px(-6, 20), px(6, 20), 12);
  const crossingOut = scratch(px(4, 2), px(24, 2), 20);
  const inside = scratchesInsideBlockRegions([inFoilScratch, short, outside, crossingOut], maps, goodBlockRegions(maps, misfit));
  t.ok(inside.has(inFoilScratch), 'the 12 mm scratch along the hole is inside the region');
  t.notOk(inside.has(short), 'a 2 mm piece is not lifted (pieces of a scratch stay gated)');
  t.notOk(inside.has(outside), 'a scratch off the foil is not');
  t.notOk(inside.has(crossingOut), 'nor one mostly outside it');
  const beat = side(0.12);
  t.equal(scratchesInsideBlockRegions([inFoilScratch], beat.maps, goodBlockRegions(beat.maps, beat.misfit)).size, 0, 'a region that fits badly lifts nothing');
  t.equal(scratchesInsideBlockRegions([inFoilScratch], maps, goodBlockRegions({ ...maps, blockSolved: undefined }, misfit)).size, 0, 'nor do maps without block-solved regions');
});

t.test('a row of short pieces inside the foil is kept when its last one meets the network\'s piece', async (t) => {
  const { maps } = side();
  const frame = cardFrame(maps, um, 6);
  const at = (u: number, v: number): [number, number] => [W / 2 + (u * 1000) / um - 0.5, H / 2 - (v * 1000) / um - 0.5];
  const piece = (u0: number, u1: number, v: number, confidence = 0.7): DefectCandidate => {
    const a = at(u0, v), b = at(u1, v);
    return { defect: { type: 'scratch', side: 'front', centerMm: [(u0 + u1) / 2, v], lengthMm: u1 - u0, widthMm: 0.45, depthUm: 0, areaMm2: (u1 - u0) * 0.45, confidence, boxPx: [Math.floor(a[0]), Math.floor(a[1]) - 4, Math.ceil(b[0]), Math.ceil(a[1]) + 4] }, meanMisfit: 0.02, axisPx: [a[0], a[1], b[0], b[1]] };
  };
  // A faint scratch's end in a foil: three 2.2 mm pieces 0.6 mm apart, then the network's piece outside.
  const row = [piece(4, 6.2, 4), piece(6.8, 9, 4), piece(9.6, 11.8, 4)];
  const network = piece(12.4, 24, 4, 0.95);
  t.equal(blockScratchesToKeep(row, [network], frame, 10).length, 3, 'all three kept: each joins the one before it');
  t.same(blockScratchesToKeep(row, [], frame, 10), [], 'none without the network\'s piece (each is too short alone)');
  t.same(blockScratchesToKeep(row, [piece(12.4, 24, 10, 0.95)], frame, 10), [], 'none beside a network scratch that is not in line');
});
