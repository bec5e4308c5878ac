import t from 'tap';
import { cornerOf, probabilitiesToDefects, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';

const pp: SurfacePostprocess = { threshold: 0.5, minAreaMm2: 0.05, minConfidence: 0.6, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6 };

/** A flat 63.6 × 88.8 mm card at 60 µm/px with a tilt (the depth must not see it) and a cos² dent. */
function cardWithDent(cxMm: number, cyMm: number, radiusMm: number, depthUm: number): CardSideMaps {
  const s = 0.06, w = 1060, h = 1480;
  const n = w * h;
  const reliefUm = new Float32Array(n), normals = new Float32Array(3 * n), albedo = new Float32Array(n).fill(0.5), mask = new Uint8Array(n).fill(1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) * s - (w * s) / 2, v = (h * s) / 2 - (y + 0.5) * s;
      const r = Math.hypot(u - cxMm, v - cyMm) / radiusMm;
      const c = r < 1 ? Math.cos((Math.PI / 2) * r) : 0;
      reliefUm[y * w + x] = 0.8 * u - depthUm * c * c; // 0.8 µm/mm tilt
      normals[3 * (y * w + x) + 2] = 1;
    }
  }
  return { side: 'front', widthPx: w, heightPx: h, umPerPx: 60, mask, normals, albedo, reliefUm };
}

/** Probabilities: `cls` inside the given pixel predicate, background elsewhere. */
function probs(w: number, h: number, cls: number, inside: (x: number, y: number) => boolean): ProbabilityMap {
  const K = 6, n = w * h;
  const data = new Float32Array(K * n);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (inside(x, y)) { data[cls * n + i] = 0.9; data[i] = 0.1; } else data[i] = 1;
  }
  return { classes: K, width: w, height: h, umPerPx: 60, data };
}

t.test('a dent component: centre in the card frame (x right, y up), size, depth against the tilted surroundings', async (t) => {
  const maps = cardWithDent(10, -20, 2, 40);
  // The model marks the inner 1.4 mm radius (as a net does: the dent's rim is too shallow to call).
  const cx = (10 + 31.8) / 0.06 - 0.5, cy = (44.4 + 20) / 0.06 - 0.5;
  const p = probs(1060, 1480, 2, (x, y) => Math.hypot(x - cx, y - cy) * 0.06 <= 1.4);
  const found = probabilitiesToDefects(p, maps, maps.mask, pp);
  t.equal(found.length, 1);
  const d = found[0];
  t.equal(d.type, 'dent');
  t.ok(Math.abs(d.centerMm[0] - 10) < 0.1 && Math.abs(d.centerMm[1] + 20) < 0.1, `centre ${d.centerMm}`);
  t.ok(Math.abs(d.lengthMm - 2.8) < 0.2 && Math.abs(d.widthMm - 2.8) < 0.2, `size ${d.lengthMm} × ${d.widthMm}`);
  t.ok(Math.abs(d.depthUm - 40) < 2, `depth ${d.depthUm} µm (truth 40)`);
  t.ok(Math.abs(d.areaMm2 - Math.PI * 1.4 * 1.4) < 0.3, `area ${d.areaMm2}`);
  t.ok(Math.abs(d.confidence - 0.9) < 1e-6);
  t.equal(d.corner, undefined);
  t.equal(d.side, 'front');
});

t.test('a scratch broken by small gaps is one defect with its length along its axis; albedo kinds report no depth', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  // A 12 mm scratch at 30° from the x axis, 2 px wide, with 0.2 mm gaps every 3 mm.
  const c = [530, 740], a = Math.PI / 6;
  const p = probs(1060, 1480, 1, (x, y) => {
    const dx = x - c[0], dy = -(y - c[1]);
    const along = (dx * Math.cos(a) + dy * Math.sin(a)) * 0.06, across = (-dx * Math.sin(a) + dy * Math.cos(a)) * 0.06;
    return Math.abs(along) <= 6 && Math.abs(across) <= 0.06 && ((along + 6) % 3) > 0.2;
  });
  const found = probabilitiesToDefects(p, maps, maps.mask, pp);
  t.equal(found.length, 1, JSON.stringify(found.map((f) => f.centerMm)));
  t.equal(found[0].type, 'scratch');
  t.ok(Math.abs(found[0].lengthMm - 12) < 0.3, `length ${found[0].lengthMm}`);
  t.ok(found[0].widthMm < 0.4, `width ${found[0].widthMm}`);
  const stain = probabilitiesToDefects(probs(1060, 1480, 5, (x, y) => Math.hypot(x - 300, y - 300) < 20), maps, maps.mask, pp);
  t.equal(stain[0].type, 'stain');
  t.equal(stain[0].depthUm, 0);
});

t.test('small, faint and edge components are dropped; corner zones are named', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  const tiny = probabilitiesToDefects(probs(1060, 1480, 2, (x, y) => x >= 500 && x < 503 && y >= 500 && y < 503), maps, maps.mask, pp);
  t.same(tiny, [], 'below minAreaMm2');
  const edge = probabilitiesToDefects(probs(1060, 1480, 1, (x) => x < 4), maps, maps.mask, pp);
  t.same(edge, [], 'inside the edge margin');
  const nearTl = probabilitiesToDefects(probs(1060, 1480, 2, (x, y) => Math.hypot(x - 60, y - 60) < 15), maps, maps.mask, pp);
  t.equal(nearTl[0].corner, 'tl');
  t.equal(cornerOf([30, -42], 31.8, 44.4, 6), 'br');
  t.equal(cornerOf([0, -42], 31.8, 44.4, 6), undefined);
});

t.test('foil gate: a relief defect on pixels the photometric fit does not explain is dropped, an albedo kind is kept', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  const n = 1060 * 1480;
  // Misfit 0.7 over a 2 mm-radius patch at (300, 300) (foil), 0.1 elsewhere.
  const misfit = new Float32Array(n).fill(0.1);
  for (let y = 0; y < 1480; y++) for (let x = 0; x < 1060; x++) if (Math.hypot(x - 300, y - 300) < 34) misfit[y * 1060 + x] = 0.7;
  const onFoil = (cls: number): ProbabilityMap => probs(1060, 1480, cls, (x, y) => Math.hypot(x - 300, y - 300) < 20);
  const gated = { ...pp, maxReliefMisfit: 0.5 };
  t.same(probabilitiesToDefects(onFoil(2), maps, maps.mask, gated, misfit), [], 'a "dent" of mean misfit 0.7 is foil');
  t.equal(probabilitiesToDefects(onFoil(2), maps, maps.mask, { ...pp, maxReliefMisfit: 0.75 }, misfit).length, 1, 'kept under a gate above its misfit');
  t.equal(probabilitiesToDefects(onFoil(2), maps, maps.mask, pp, misfit).length, 1, 'no gate in the manifest: kept');
  t.equal(probabilitiesToDefects(onFoil(5), maps, maps.mask, gated, misfit)[0]?.type, 'stain', 'albedo kinds are not gated: the albedo is read, not the relief');
  const elsewhere = probs(1060, 1480, 2, (x, y) => Math.hypot(x - 700, y - 700) < 20);
  t.equal(probabilitiesToDefects(elsewhere, maps, maps.mask, gated, misfit).length, 1, 'a dent where the fit holds is kept');
  t.throws(() => probabilitiesToDefects(onFoil(2), maps, maps.mask, gated), { code: 'GB_INTERNAL' }, 'a gate without the misfit plane is an error, not a silent pass');
});

t.test('depth gate: a relief defect deeper than a card is thick is dropped, a real dent is kept', async (t) => {
  const deep = cardWithDent(10, -20, 2, 600); // 600 µm: twice a trading card's thickness
  const shallow = cardWithDent(10, -20, 2, 40);
  const cx = (10 + 31.8) / 0.06 - 0.5, cy = (44.4 + 20) / 0.06 - 0.5;
  const p = probs(1060, 1480, 2, (x, y) => Math.hypot(x - cx, y - cy) * 0.06 <= 1.4);
  const gated = { ...pp, maxReliefDepthUm: 300 };
  t.same(probabilitiesToDefects(p, deep, deep.mask, gated), [], 'a 600 µm "dent" is relief no card stock holds');
  t.equal(probabilitiesToDefects(p, deep, deep.mask, pp).length, 1, 'no gate in the manifest: kept');
  const kept = probabilitiesToDefects(p, shallow, shallow.mask, gated);
  t.equal(kept.length, 1, 'a 40 µm dent is kept');
  t.ok(Math.abs(kept[0].depthUm - 40) < 2, `depth ${kept[0].depthUm}`);
  const stain = probabilitiesToDefects(probs(1060, 1480, 5, (x, y) => Math.hypot(x - cx, y - cy) * 0.06 <= 1.4), deep, deep.mask, gated);
  t.equal(stain[0]?.type, 'stain', 'albedo kinds are not gated on depth');
});
