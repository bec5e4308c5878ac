import t from 'tap';
import { measureSide, measureSideAsync } from '../../src/grading/measure.ts';
import { gradeSide } from '../../src/grading/grade.ts';
import { syntheticMaps } from './synthetic-maps.ts';

// The measurements' geometry on exactly drawn maps: print-frame borders at both ends (diamond cut),
// full-art cards, corner radii, chips.

const card = { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.2 };

t.test('diamond cut: each border at both ends, the ratio at the worse end', async (t) => {
  const maps = syntheticMaps({ umPerPx: 100, marginMm: 1.5, border: { left: [3, 2.2], right: [3, 3.8], top: [3.5, 3.5], bottom: [2.5, 2.5] } });
  const m = measureSide(maps, card);
  t.ok(m.centering.measurable, m.centering.reason ?? 'measurable');
  const left = m.centering.borders.find((b) => b.edge === 'left');
  t.ok(Math.abs((left?.endsMm[0] ?? NaN) - 3) < 0.15 && Math.abs((left?.endsMm[1] ?? NaN) - 2.2) < 0.15, `left border ${left?.endsMm.map((v) => v.toFixed(2))} mm at its two ends`);
  // The frame runs from 3/3 at the top to 2.2/3.8 at the bottom; measured near the ends of the straight part.
  t.ok((m.centering.leftRight?.[0] ?? 0) > 60, `left/right at the worse (bottom) end: ${m.centering.leftRight?.[0].toFixed(1)} (top end would be 50)`);
  t.equal(m.centering.leftWider, false, 'the right border is the wider one there');
  t.ok(Math.abs((m.centering.topBottom?.[0] ?? NaN) - 58.33) < 0.5, `top/bottom ${m.centering.topBottom?.[0].toFixed(2)} (3.5/2.5 → 58.33)`);
});

t.test('full-art card: centering not measurable, never a guess', async (t) => {
  const maps = syntheticMaps({ umPerPx: 100, marginMm: 1.5, fullArt: true, seed: 4 });
  const m = measureSide(maps, card);
  t.equal(m.centering.measurable, false, m.centering.reason ?? 'not measurable');
  t.equal(m.centering.leftRight, undefined, 'no ratio');
  const g = gradeSide('front', m.frame, m.centering, m.outline, []);
  t.equal(g.subgrades.centering, undefined, 'no centering subgrade');
  t.match(g.notGraded.centering, /not measurable/, 'says why');
  t.ok(g.subgrades.corners && g.subgrades.edges, 'corners and edges still graded');
});

t.test('corner radii, a chip and clean edges', async (t) => {
  const maps = syntheticMaps({ umPerPx: 80, marginMm: 1.5, radiiMm: [3.2, 4.4, 3.2, 3.6], bites: [{ xMm: 10, yMm: -44.45, rMm: 0.35 }] });
  const m = measureSide(maps, card);
  const want = { tl: 3.2, tr: 4.4, br: 3.2, bl: 3.6 };
  for (const c of m.outline.corners) t.ok(Math.abs(c.radiusMm - want[c.corner]) < 0.1, `${c.corner}: r ${c.radiusMm.toFixed(3)} mm (drawn ${want[c.corner]})`);
  const bottom = m.outline.edges.find((e) => e.edge === 'bottom');
  t.equal(bottom?.chips.length, 1, 'one chip on the bottom edge');
  t.ok(Math.abs((bottom?.chips[0]?.depthUm ?? 0) - 350) < 60, `chip depth ${bottom?.chips[0]?.depthUm.toFixed(0)} µm (drawn 350)`);
  t.ok(Math.abs((bottom?.chips[0]?.centerMm[0] ?? NaN) - 10) < 0.3, 'chip position');
  for (const e of m.outline.edges.filter((x) => x.edge !== 'bottom')) t.equal(e.chips.length, 0, `${e.edge}: no chips`);
  const g = gradeSide('front', m.frame, m.centering, m.outline, []);
  const worn = g.defects.filter((d) => d.type === 'corner-wear').map((d) => d.corner).sort();
  t.same(worn, ['bl', 'tr'], 'the rounded corners are named');
  t.ok((g.subgrades.corners?.grade ?? 10) < 10 && (g.subgrades.edges?.grade ?? 10) < 10, 'corners and edges lose points');
  t.ok(g.deductions.every((d) => d.points > 0 && d.reason.length > 0), 'every deduction has a cause');
});

t.test('measured in steps between turns of the event loop: the same figures to the bit', async (t) => {
  for (const maps of [
    syntheticMaps({ umPerPx: 80, marginMm: 1.5, radiiMm: [3.2, 4.4, 3.2, 3.6], bites: [{ xMm: 10, yMm: -44.45, rMm: 0.35 }] }),
    syntheticMaps({ umPerPx: 100, marginMm: 1.5, border: { left: [3, 2.2], right: [3, 3.8], top: [3.5, 3.5], bottom: [2.5, 2.5] } }),
    syntheticMaps({ umPerPx: 100, marginMm: 1.5, fullArt: true, seed: 4 }),
  ]) {
    const a = measureSide(maps, card);
    // Other work on the event loop in between (as the surface detector's continuations are) changes nothing.
    const busy = setInterval(() => { new Float64Array(1000).fill(Math.random()); }, 0);
    const b = await measureSideAsync(maps, card);
    clearInterval(busy);
    t.equal(JSON.stringify({ o: b.outline, c: b.centering, f: b.frame }), JSON.stringify({ o: a.outline, c: a.centering, f: a.frame }), `${maps.umPerPx} µm/px: identical outline, centering and frame`);
  }
  // It yields: a timer set before it fires before it ends.
  const maps = syntheticMaps({ umPerPx: 100, marginMm: 1.5 });
  let fired = false;
  setImmediate(() => { fired = true; });
  const p = measureSideAsync(maps, card).then(() => fired);
  t.equal(await p, true, 'the event loop turned while it ran');
});

t.test('relief: a warp across the card is no corner ding and no edge dent; a ding and an edge dent are measured', async (t) => {
  const umPerPx = 80, px = 1000 / umPerPx;
  const flat = syntheticMaps({ umPerPx, marginMm: 1.5 });
  const w = flat.widthPx, h = flat.heightPx;
  // Card-frame mm (x right, y up from the centre) of a pixel: the card is centred on the maps.
  const uOf = (x: number): number => (x + 0.5 - w / 2) / px, vOf = (y: number): number => (h / 2 - y - 0.5) / px;
  // The warp integrated holo foil's normals gave a card from scripts/eval/foreign_card.py: ±300 µm across
  // the card, up to ~20 µm/mm at its edges and corners.
  const warp = (u: number, v: number): number => 300 * Math.sin(u / 20) * Math.cos(v / 25) + 2 * u - 1.5 * v + 0.08 * u * v;
  const warped = { ...flat, reliefUm: new Float32Array(w * h) };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) warped.reliefUm[y * w + x] = warp(uOf(x), vOf(y));
  const m = measureSide(warped, card);
  for (const c of m.outline.corners) t.ok(c.dingDepthUm < 6, `${c.corner}: ding ${c.dingDepthUm.toFixed(1)} µm on a warp (none drawn)`);
  for (const e of m.outline.edges) t.ok(e.dentDepthUm < 6, `${e.edge}: dent ${e.dentDepthUm.toFixed(1)} µm on a warp (none drawn)`);
  t.same(gradeSide('front', m.frame, m.centering, m.outline, []).defects.filter((d) => d.type === 'corner-ding' || d.type === 'edge-dent'), [], 'no ding or edge dent reported');

  // On the same warp: a 40 µm ding 1.6 mm inside the top-left corner's edges, a 30 µm dent at the right edge.
  const hw = 63.5 / 2, hh = 88.9 / 2;
  const damaged = { ...flat, reliefUm: new Float32Array(w * h) };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = uOf(x), v = vOf(y);
      const ding = 40 * Math.exp(-((u - (-hw + 1.6)) ** 2 + (v - (hh - 1.6)) ** 2) / (2 * 0.5 ** 2));
      const dent = 30 * Math.exp(-((u - hw) ** 2 / (2 * 0.5 ** 2) + (v - 10) ** 2 / (2 * 1.5 ** 2)));
      damaged.reliefUm[y * w + x] = warp(u, v) - ding - dent;
    }
  }
  const d = measureSide(damaged, card);
  const tl = d.outline.corners.find((c) => c.corner === 'tl')!;
  t.ok(tl.dingDepthUm > 30 && tl.dingDepthUm < 48, `top-left ding ${tl.dingDepthUm.toFixed(1)} µm (drawn 40)`);
  for (const c of d.outline.corners.filter((c) => c.corner !== 'tl')) t.ok(c.dingDepthUm < 6, `${c.corner}: ding ${c.dingDepthUm.toFixed(1)} µm (none drawn)`);
  const right = d.outline.edges.find((e) => e.edge === 'right')!;
  // What the measurement reads of the drawn dent: its mean over the band 0.3–1.2 mm in, over the 1 mm it is smoothed along the edge.
  const mean = (f: (x: number) => number, a: number, b: number): number => { let acc = 0; for (let i = 0; i <= 100; i++) acc += f(a + ((b - a) * i) / 100); return acc / 101; };
  const inBand = 30 * mean((dd) => Math.exp(-(dd * dd) / (2 * 0.25)), 0.3, 1.2) * mean((sAlong) => Math.exp(-(sAlong * sAlong) / (2 * 2.25)), -0.5, 0.5);
  t.ok(Math.abs(right.dentDepthUm - inBand) < 0.2 * inBand, `right edge dent ${right.dentDepthUm.toFixed(1)} µm (drawn 30 µm at the outline: ${inBand.toFixed(1)} µm over the band 0.3–1.2 mm in)`);
  t.ok(Math.abs((right.dentCenterMm?.[1] ?? NaN) - 10) < 1, `at y ${right.dentCenterMm?.[1].toFixed(2)} mm (drawn 10)`);
});
