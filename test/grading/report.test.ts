import t from 'tap';
import sharp from 'sharp';
import { measureSide } from '../../src/grading/measure.ts';
import { gradeCard, gradeSide } from '../../src/grading/grade.ts';
import { buildReport, reportFiles } from '../../src/grading/report.ts';
import { syntheticMaps } from './synthetic-maps.ts';

const card = { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.2 };

t.test('report: JSON in the issue shape, overlays, and one self-contained HTML page', async (t) => {
  const maps = syntheticMaps({ umPerPx: 120, marginMm: 1.5, radiiMm: [3.2, 4.6, 3.2, 3.2], bites: [{ xMm: -8, yMm: 44.45, rMm: 0.4 }], border: { left: [2.6, 2.6], right: [3.4, 3.4], top: [3, 3], bottom: [3, 3] } });
  const m = measureSide(maps, card);
  const side = gradeSide('front', m.frame, m.centering, m.outline, []);
  const g = gradeCard([side], { name: 'test-model', version: '0', sha256: 'ab'.repeat(32) });
  const r = await buildReport(g, [{ maps, frame: m.frame }], { title: 'SUB-0001 front' });
  const j = r.json as Record<string, unknown>;
  for (const k of ['centering', 'bordersMm', 'corners', 'edges', 'defects', 'subgrades', 'grade', 'score1000', 'model']) t.ok(k in j, `JSON has ${k}`);
  t.same(j.model, { name: 'test-model', version: '0' });
  const lr = (j.centering as { leftRight: number[] }).leftRight;
  t.ok(Math.abs(lr[0] - 56.67) < 0.5, `left/right ${lr[0]} (2.6/3.4 → 56.67)`);
  const defects = j.defects as { type: string; corner?: string; centerMm: number[] }[];
  t.ok(defects.some((d) => d.type === 'corner-wear' && d.corner === 'tr'), 'the rounded corner is named tr');
  const chip = defects.find((d) => d.type === 'edge-chip');
  t.ok(chip && Math.abs(chip.centerMm[0] + 8) < 0.5 && chip.centerMm[1] > 43, 'chip at the top edge, x ≈ −8 mm (card frame, y up)');
  t.equal(typeof j.grade, 'number');
  t.ok((j.score1000 as number) >= (j.grade as number) * 100, 'score at or above the label');
  const meta = await sharp(r.images[0].albedoOverlay).metadata();
  t.same([meta.width, meta.height, meta.format], [maps.widthPx, maps.heightPx, 'png'], 'albedo overlay at map size');
  t.equal(r.images[0].crops.length, side.defects.length, 'one crop per defect');
  t.notMatch(r.html, /(src|href)="(?!data:)/, 'no external resource in the page');
  t.match(r.html, /data:image\/png;base64,/, 'images inline');
  t.match(r.html, /What cost points/, 'deductions explained');
  const names = reportFiles(r, g).map((f) => f.name);
  t.ok(['report.json', 'report.html', 'front-albedo-overlay.png', 'front-shaded-relief.png', 'front-normals.png'].every((n) => names.includes(n)), 'report files');
});
