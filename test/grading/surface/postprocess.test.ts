import t from 'tap';
import { cornerOf, isFoldShaped, probabilitiesToDefects, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
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

t.test('minimum dent depth: a "dent" the relief does not show is dropped, a measured one kept, scratches not gated', async (t) => {
  const flat = cardWithDent(10, -20, 2, 0.5); // 0.5 µm: below the relief's noise
  const real = cardWithDent(10, -20, 2, 40);
  const cx = (10 + 31.8) / 0.06 - 0.5, cy = (44.4 + 20) / 0.06 - 0.5;
  const inDent = (cls: number): ProbabilityMap => probs(1060, 1480, cls, (x, y) => Math.hypot(x - cx, y - cy) * 0.06 <= 1.4);
  const gated = { ...pp, minDentDepthUm: 10 };
  t.same(probabilitiesToDefects(inDent(2), flat, flat.mask, gated), [], 'a 0.5 µm dent is dropped');
  t.same(probabilitiesToDefects(inDent(3), flat, flat.mask, gated), [], 'a 0.5 µm crease too');
  t.equal(probabilitiesToDefects(inDent(2), flat, flat.mask, pp).length, 1, 'no gate in the manifest: kept');
  t.equal(probabilitiesToDefects(inDent(2), real, real.mask, gated).length, 1, 'a 40 µm dent is kept');
  t.equal(probabilitiesToDefects(inDent(1), flat, flat.mask, gated)[0]?.type, 'scratch', 'a shallow scratch is not gated');
});

/** Probabilities of one class on straight pieces [fromMm, toMm] along a line through `c` (card mm) at `deg`, `widthMm` wide. */
function pieces(cls: number, c: [number, number], deg: number, widthMm: number, spans: [number, number][], offsetMm = 0): ProbabilityMap {
  const a = (deg * Math.PI) / 180;
  const cx = (c[0] + 31.8) / 0.06 - 0.5, cy = (44.4 - c[1]) / 0.06 - 0.5;
  return probs(1060, 1480, cls, (x, y) => {
    const dx = (x - cx) * 0.06, dy = -(y - cy) * 0.06;
    const along = dx * Math.cos(a) + dy * Math.sin(a), across = -dx * Math.sin(a) + dy * Math.cos(a);
    return spans.some(([s0, s1], k) => along >= s0 && along <= s1 && Math.abs(across - (k === 1 ? offsetMm : 0)) <= widthMm / 2);
  });
}

t.test('joining: the pieces of one scratch across a faint stretch are one scratch at its middle, with its whole length', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  // A 23 mm scratch at 80° centred at (5, 3) mm whose middle 6 mm did not reach the threshold: 8.5 mm + 8.5 mm.
  const p = pieces(1, [5, 3], 80, 0.3, [[-11.5, -3], [3, 11.5]]);
  const apart = probabilitiesToDefects(p, maps, maps.mask, pp);
  t.equal(apart.length, 2, 'without joining: two pieces');
  t.ok(apart.every((d) => Math.hypot(d.centerMm[0] - 5, d.centerMm[1] - 3) > 2.5), 'each piece centred far from the scratch');
  const joined = probabilitiesToDefects(p, maps, maps.mask, { ...pp, joinLinearGapMm: 10 });
  t.equal(joined.length, 1, 'joined: one scratch');
  const d = joined[0];
  t.equal(d.type, 'scratch');
  t.ok(Math.hypot(d.centerMm[0] - 5, d.centerMm[1] - 3) < 0.15, `centre ${d.centerMm}`);
  t.ok(Math.abs(d.lengthMm - 23) < 0.3, `length ${d.lengthMm} (23 mm)`);
  t.ok(Math.abs(d.areaMm2 - (apart[0].areaMm2 + apart[1].areaMm2)) < 1e-9, 'area: what was measured on the pieces');
  t.ok(d.boxPx[0] <= Math.min(...apart.map((a) => a.boxPx[0])) && d.boxPx[3] >= Math.max(...apart.map((a) => a.boxPx[3])), 'box: both pieces');
  t.equal(probabilitiesToDefects(p, maps, maps.mask, { ...pp, joinLinearGapMm: 5 }).length, 2, 'a gap wider than joinLinearGapMm: not joined');
});

t.test('joining: only pieces in line, of one kind, with a gap no longer than the shorter piece or 2 mm', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  const join = { ...pp, joinLinearGapMm: 10 };
  t.equal(probabilitiesToDefects(pieces(1, [0, 0], 0, 0.3, [[-12, -3], [3, 12]], 1.5), maps, maps.mask, join).length, 2, 'parallel but 1.5 mm apart: two scratches');
  // Two pieces meeting at 20°: not one straight line.
  const a = pieces(1, [0, 0], 0, 0.3, [[-12, -3]]), b = pieces(1, [0, 0], 20, 0.3, [[3, 12]]);
  for (let i = 0; i < a.data.length; i++) a.data[i] = Math.max(a.data[i], b.data[i]);
  for (let i = 0; i < 1060 * 1480; i++) a.data[i] = 1 - a.data[1060 * 1480 + i];
  t.equal(probabilitiesToDefects(a, maps, maps.mask, join).length, 2, 'at 20° to each other: two scratches');
  // A crease piece and a scratch piece in line: different kinds stay apart.
  const s = pieces(1, [0, 0], 0, 0.3, [[-12, -3]]), c = pieces(3, [0, 0], 0, 0.3, [[3, 12]]);
  for (let i = 0; i < s.data.length; i++) s.data[i] = Math.max(s.data[i], c.data[i]);
  for (let i = 0; i < 1060 * 1480; i++) s.data[i] = 1 - s.data[1060 * 1480 + i] - s.data[3 * 1060 * 1480 + i];
  t.same(probabilitiesToDefects(s, maps, maps.mask, join).map((d) => d.type).sort(), ['crease', 'scratch'], 'a scratch and a crease in line: both reported');
  // A 2 mm piece 6 mm from a long one: the gap is longer than the short piece (a second mark, not a faint stretch).
  t.equal(probabilitiesToDefects(pieces(1, [0, 0], 0, 0.3, [[-12, 0], [6, 8]]), maps, maps.mask, join).length, 2, 'a short piece beyond a gap longer than itself: apart');
  // …but a gap of up to 2 mm joins however short the piece beyond it.
  const near = probabilitiesToDefects(pieces(1, [0, 0], 0, 0.3, [[-12, 0], [1.8, 3.3]]), maps, maps.mask, join);
  t.equal(near.length, 1, 'a 1.5 mm piece 1.8 mm beyond: one scratch');
  t.ok(Math.abs(near[0].lengthMm - 15.3) < 0.3, `with both pieces' length: ${near[0].lengthMm.toFixed(2)} mm`);
  // Dents are not lines: two dents side by side stay two.
  const dents = probs(1060, 1480, 2, (x, y) => Math.hypot(x - 400, y - 700) < 20 || Math.hypot(x - 480, y - 700) < 20);
  t.equal(probabilitiesToDefects(dents, maps, maps.mask, join).length, 2, 'two dents in a row: two dents');
});

t.test('joining: three pieces of one scratch become one; a corner scratch names its corner after joining', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  // Along the bottom-left corner's zone: a 10 mm scratch at 45° centred 3.5 mm inside both edges, in 3 pieces.
  const c: [number, number] = [-31.8 + 4, -44.4 + 4];
  const p = pieces(1, c, 45, 0.3, [[-5, -2.5], [-1.2, 1.2], [2.5, 5]]);
  const joined = probabilitiesToDefects(p, maps, maps.mask, { ...pp, joinLinearGapMm: 10 });
  t.equal(joined.length, 1, `one scratch (${joined.length})`);
  t.ok(Math.hypot(joined[0].centerMm[0] - c[0], joined[0].centerMm[1] - c[1]) < 0.15, `centre ${joined[0].centerMm}`);
  t.ok(Math.abs(joined[0].lengthMm - 10) < 0.3, `length ${joined[0].lengthMm}`);
  t.equal(joined[0].corner, 'bl');
});

t.test('pixel misfit gate: a scratch running into a foil patch keeps its own pixels; the patch goes; albedo kinds stay', async (t) => {
  const maps = cardWithDent(0, 0, 0.001, 0);
  const W = 1060, H = 1480, n = W * H;
  // Foil: misfit 0.9 over a 20 × 20 mm square centred at px (530, 500); 0.1 elsewhere.
  const misfit = new Float32Array(n).fill(0.1);
  const inFoil = (x: number, y: number): boolean => Math.abs(x - 530) < 167 && Math.abs(y - 500) < 167;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inFoil(x, y)) misfit[y * W + x] = 0.9;
  // The network calls the whole patch "scratch" and a vertical scratch from its bottom edge 15 mm down.
  const p = probs(W, H, 1, (x, y) => inFoil(x, y) || (Math.abs(x - 530) <= 2 && y >= 500 && y < 667 + 250));
  const whole = probabilitiesToDefects(p, maps, maps.mask, { ...pp, maxReliefMisfit: 0.6 }, misfit);
  t.same(whole, [], 'the component gate alone drops the patch and the scratch that joined it');
  const gated = probabilitiesToDefects(p, maps, maps.mask, { ...pp, maxReliefMisfit: 0.6, maxPixelMisfit: 0.6 }, misfit);
  t.equal(gated.length, 1, 'with the pixel gate: one defect');
  t.equal(gated[0]?.type, 'scratch');
  t.ok(Math.abs((gated[0]?.lengthMm ?? 0) - 15) < 0.3, `the scratch outside the patch, ${gated[0]?.lengthMm.toFixed(2)} mm (15 drawn)`);
  const stain = probabilitiesToDefects(probs(W, H, 5, (x, y) => Math.hypot(x - 530, y - 500) < 40), maps, maps.mask, { ...pp, maxPixelMisfit: 0.6 }, misfit);
  t.equal(stain[0]?.type, 'stain', 'a stain on foil: the albedo is read, not the relief');
  t.throws(() => probabilitiesToDefects(p, maps, maps.mask, { ...pp, maxPixelMisfit: 0.6 }), { code: 'GB_INTERNAL' }, 'a pixel gate without the misfit plane is an error');
});

t.test('a long scratch on a warped card: its depth is measured along it, not against the box around it', async (t) => {
  // A 30 mm scratch at 35°, 12 µm deep and 0.24 mm wide (V groove), on a card warped ±80 µm.
  const base = cardWithDent(0, 0, 0.001, 0);
  const w = base.widthPx, h = base.heightPx, s = 0.06;
  const a = (35 * Math.PI) / 180, c = [4, -6];
  const reliefUm = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) * s - (w * s) / 2, v = (h * s) / 2 - (y + 0.5) * s;
      const along = (u - c[0]) * Math.cos(a) + (v - c[1]) * Math.sin(a), across = -(u - c[0]) * Math.sin(a) + (v - c[1]) * Math.cos(a);
      const groove = Math.abs(along) <= 15 ? 12 * Math.max(0, 1 - Math.abs(across) / 0.12) : 0;
      reliefUm[y * w + x] = 80 * Math.sin(u / 15) * Math.cos(v / 18) - groove;
    }
  }
  const maps = { ...base, reliefUm };
  const p = pieces(1, [c[0], c[1]], 35, 0.36, [[-15, 15]]);
  const [d] = probabilitiesToDefects(p, maps, maps.mask, pp);
  t.equal(d?.type, 'scratch');
  t.ok(Math.abs(d.depthUm - 12) < 0.25 * 12, `depth ${d.depthUm.toFixed(1)} µm (drawn 12; the box's ring reads the warp)`);
  // A crease too; a dent keeps the ring around it.
  const [crease] = probabilitiesToDefects(pieces(3, [c[0], c[1]], 35, 0.36, [[-15, 15]]), maps, maps.mask, pp);
  t.ok(Math.abs(crease.depthUm - 12) < 0.25 * 12, `crease depth ${crease.depthUm.toFixed(1)} µm`);
  const dentMaps = cardWithDent(10, -20, 2, 40);
  const cx = (10 + 31.8) / 0.06 - 0.5, cy = (44.4 + 20) / 0.06 - 0.5;
  const [dent] = probabilitiesToDefects(probs(1060, 1480, 2, (x, y) => Math.hypot(x - cx, y - cy) * 0.06 <= 1.4), dentMaps, dentMaps.mask, pp);
  t.ok(Math.abs(dent.depthUm - 40) < 2, `dent depth ${dent.depthUm.toFixed(1)} µm (40)`);
});

t.test('a "dent" with a fold\'s shape is a crease: long and narrow; a round dent and a short oval stay dents', async (t) => {
  // A fold 24 mm long at 60°, a 40 µm valley 2.4 mm wide, on a tilted card: the network's pixels say dent.
  const base = cardWithDent(0, 0, 0.001, 0);
  const w = base.widthPx, h = base.heightPx, s = 0.06;
  const a = (60 * Math.PI) / 180, c = [-6, 4];
  const reliefUm = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) * s - (w * s) / 2, v = (h * s) / 2 - (y + 0.5) * s;
      const along = (u - c[0]) * Math.cos(a) + (v - c[1]) * Math.sin(a), across = -(u - c[0]) * Math.sin(a) + (v - c[1]) * Math.cos(a);
      reliefUm[y * w + x] = 0.8 * u - (Math.abs(along) <= 12 ? 40 * Math.exp(-((across / 0.8) ** 2)) : 0);
    }
  }
  const maps = { ...base, reliefUm };
  const [fold] = probabilitiesToDefects(pieces(2, [c[0], c[1]], 60, 2.4, [[-12, 12]]), maps, maps.mask, pp);
  t.equal(fold?.type, 'crease', `${fold?.lengthMm.toFixed(1)} × ${fold?.widthMm.toFixed(1)} mm`);
  t.ok(Math.abs(fold.centerMm[0] - c[0]) < 0.3 && Math.abs(fold.centerMm[1] - c[1]) < 0.3, `centre ${fold.centerMm}`);
  t.ok(Math.abs(fold.depthUm - 40) < 0.25 * 40, `depth along the fold ${fold.depthUm.toFixed(1)} µm (40)`);
  // 8 mm × 2.4 mm: shorter than foldMinLengthMm, an oval dent.
  const [oval] = probabilitiesToDefects(pieces(2, [c[0], c[1]], 60, 2.4, [[-4, 4]]), maps, maps.mask, pp);
  t.equal(oval?.type, 'dent');
  // 12 mm × 5 mm: long enough, but not three times as long as wide.
  const [wide] = probabilitiesToDefects(pieces(2, [c[0], c[1]], 60, 5, [[-6, 6]]), maps, maps.mask, pp);
  t.equal(wide?.type, 'dent');
  t.ok(isFoldShaped(30, 10) && !isFoldShaped(29.9, 10) && !isFoldShaped(9.9, 1), 'the limits: ≥ 10 mm and ≥ 3 × the width');
});
