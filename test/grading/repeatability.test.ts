import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconstructCaptureFolder } from '../../src/grading/capture-side.ts';
import { measureSide } from '../../src/grading/measure.ts';
import { gradeSide } from '../../src/grading/grade.ts';
import { overallGrade } from '../../src/grading/grade-table.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { drawnCentering, renderCard, simBench } from './sim-capture.ts';

// The same simulated card (seed 3: three worn corners, a chipped edge, off-centre print) at 10 random tray
// placements (within the booth's placement range, with fresh sensor noise each time): the same measured
// subgrades every time, their 1000-point scores with σ ≤ 3, centering within 0.5 ratio points of the
// drawn truth. Small images (750×1024, ~99 µm/px) keep the suite fast; the surface subgrade comes from the
// learned detector and is not part of this measurement test.

const card = { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.2 };

t.test('one card, 10 placements: same grade, σ ≤ 3 on the 1000-point scale', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-grade-rep-'));
  const bench = await simBench(750, 1024);
  t.teardown(async () => { await bench.stop(); await rm(dir, { recursive: true, force: true }); });
  const rnd = mulberry32(20261206);
  const { maxShiftMm, maxRotationDeg } = bench.config.card.placement;
  const runs: { subgrades: Record<string, number>; scores: Record<string, number>; measured: number; measuredScore: number }[] = [];
  for (let k = 0; k < 10; k++) {
    const placement = { xMm: (2 * rnd() - 1) * maxShiftMm, yMm: (2 * rnd() - 1) * maxShiftMm, rotationDeg: (2 * rnd() - 1) * maxRotationDeg };
    const sub = join(dir, String(k));
    const truth = await renderCard(bench, sub, 3, 'front', { placement, noiseSeed: 7000 + k });
    const rec = await reconstructCaptureFolder(sub, { card, side: 'front', umPerPx: bench.umPerPx });
    const m = measureSide(rec.maps, card);
    const g = gradeSide('front', m.frame, m.centering, m.outline, undefined);
    const drawn = drawnCentering(bench, truth);
    t.ok(Math.abs((m.centering.leftRight?.[0] ?? NaN) - drawn.leftRight) <= 0.5 && Math.abs((m.centering.topBottom?.[0] ?? NaN) - drawn.topBottom) <= 0.5,
      `placement ${k} (${placement.xMm.toFixed(2)}, ${placement.yMm.toFixed(2)} mm, ${placement.rotationDeg.toFixed(2)}°): centering ${m.centering.leftRight?.[0].toFixed(2)}/${m.centering.topBottom?.[0].toFixed(2)} vs drawn ${drawn.leftRight.toFixed(2)}/${drawn.topBottom.toFixed(2)}`);
    const names = ['centering', 'corners', 'edges'] as const;
    const subgrades = Object.fromEntries(names.map((n) => [n, g.subgrades[n]?.grade ?? NaN]));
    const scores = Object.fromEntries(names.map((n) => [n, (g.subgrades[n]?.smooth ?? NaN) * 100]));
    const o = overallGrade(names.map((n) => g.subgrades[n]?.grade ?? NaN)), os = overallGrade(names.map((n) => g.subgrades[n]?.smooth ?? NaN));
    runs.push({ subgrades, scores, measured: o.grade, measuredScore: os.smooth * 100 });
    t.comment(`placement ${k}: ${JSON.stringify(subgrades)} scores ${JSON.stringify(Object.fromEntries(Object.entries(scores).map(([a, b]) => [a, Math.round(b)])))}; corners r ${m.outline.corners.map((c) => c.radiusMm.toFixed(2)).join('/')} mm`);
  }
  for (const r of runs) t.same(r.subgrades, runs[0].subgrades, 'same subgrades as the first placement');
  t.ok(runs.every((r) => r.measured === runs[0].measured), `same overall of the measured subgrades (${runs[0].measured})`);
  const sigma = (xs: number[]): number => { const m = xs.reduce((a, b) => a + b, 0) / xs.length; return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length); };
  // Each subgrade's own spread, for the record; the bound is on the card's 1000-point score.
  for (const n of ['centering', 'corners', 'edges']) t.comment(`${n}: 1000-point σ ${sigma(runs.map((r) => r.scores[n])).toFixed(2)}`);
  const so = sigma(runs.map((r) => r.measuredScore));
  t.ok(so <= 3, `overall of the measured subgrades: 1000-point σ ${so.toFixed(2)} ≤ 3`);
});
