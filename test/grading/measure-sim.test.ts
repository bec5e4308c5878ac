import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconstructCaptureFolder } from '../../src/grading/capture-side.ts';
import { measureSide } from '../../src/grading/measure.ts';
import { gradeSide } from '../../src/grading/grade.ts';
import { drawnCentering, renderCard, simBench } from './sim-capture.ts';

// Measurements on the project's simulator (distant lights, ~99 µm/px so the suite stays fast) against its
// ground truth: centering, worn corners by name, edge chips.

const card = { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.2 };
const cornerOf: Record<string, string> = { 'top-left': 'tl', 'top-right': 'tr', 'bottom-right': 'br', 'bottom-left': 'bl' };

t.test('simulated card 3 front and back: centering, worn corners, edge chips', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-grade-sim-'));
  const bench = await simBench(750, 1024);
  t.teardown(async () => { await bench.stop(); await rm(dir, { recursive: true, force: true }); });
  for (const side of ['front', 'back'] as const) {
    const sideDir = join(dir, side);
    const truth = await renderCard(bench, sideDir, 3, side);
    const rec = await reconstructCaptureFolder(sideDir, { card, side, umPerPx: bench.umPerPx });
    const m = measureSide(rec.maps, card);
    const drawn = drawnCentering(bench, truth);
    t.ok(m.centering.measurable, `${side}: centering measurable`);
    const lr = m.centering.leftRight?.[0] ?? NaN, tb = m.centering.topBottom?.[0] ?? NaN;
    t.comment(`${side}: left/right ${lr.toFixed(2)} (drawn ${drawn.leftRight.toFixed(2)}, nominal ${truth.centering.leftRight}), top/bottom ${tb.toFixed(2)} (drawn ${drawn.topBottom.toFixed(2)}, nominal ${truth.centering.topBottom}); measured in ${m.ms.toFixed(0)} ms`);
    t.ok(Math.abs(lr - drawn.leftRight) <= 0.5, `${side}: left/right within 0.5 ratio points`);
    t.ok(Math.abs(tb - drawn.topBottom) <= 0.5, `${side}: top/bottom within 0.5 ratio points`);
    t.equal(m.centering.leftWider, drawn.left >= drawn.right, `${side}: the wider of left and right`);
    const b = m.centering.bordersMm;
    for (const k of ['left', 'right', 'top', 'bottom'] as const) t.ok(Math.abs((b?.[k] ?? NaN) - drawn[k]) < 0.05, `${side}: ${k} border ${b?.[k].toFixed(3)} mm within 50 µm of ${drawn[k].toFixed(3)}`);

    const g = gradeSide(side, m.frame, m.centering, m.outline, []);
    const worn = new Set(truth.defects.filter((d) => d.kind === 'corner-wear').map((d) => cornerOf[String(d.detail.corner)]));
    for (const c of m.outline.corners) {
      const flagged = g.defects.some((d) => d.corner === c.corner && d.type === 'corner-wear');
      t.comment(`${side} ${c.corner}: r ${c.radiusMm.toFixed(2)} mm, fray ${c.frayUm.toFixed(0)} µm, fill ${c.fillPct.toFixed(1)}%, whitening ${c.whiteningPct.toFixed(0)}%, ding ${c.dingDepthUm.toFixed(0)} µm; truth ${worn.has(c.corner) ? 'worn' : 'clean'}`);
      t.equal(flagged, worn.has(c.corner), `${side} ${c.corner}: ${worn.has(c.corner) ? 'worn corner named' : 'clean corner not flagged'}`);
    }
    for (const d of truth.defects.filter((x) => x.kind === 'edge-chip')) {
      const found = g.defects.filter((x) => x.type === 'edge-chip' && Math.hypot(x.centerMm[0] - d.centerMm[0], x.centerMm[1] - d.centerMm[1]) < 2.5 + d.lengthMm / 2);
      t.ok(found.length > 0, `${side}: chip on the ${d.detail.edge} edge at (${d.centerMm.map((v) => v.toFixed(1))}) found`);
    }
    const falseChips = g.defects.filter((x) => x.type === 'edge-chip' && !truth.defects.some((d) => d.kind === 'edge-chip' && Math.hypot(x.centerMm[0] - d.centerMm[0], x.centerMm[1] - d.centerMm[1]) < 2.5 + d.lengthMm / 2));
    t.same(falseChips, [], `${side}: no chip where the simulator made none`);
  }
});
