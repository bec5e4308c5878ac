import t from 'tap';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { measureSide } from '../../src/grading/measure.ts';
import { gradeCard, gradeSide } from '../../src/grading/grade.ts';
import { buildReport, reportFiles } from '../../src/grading/report.ts';
import { defectBoxPx, drawSidePictures, encodeSidePictures, overviewPixels } from '../../src/grading/report-images.ts';
import { loadVisionNative } from '../../src/vision/native.ts';
import type { CardSideMaps, SurfaceDefect } from '../../src/grading/types.ts';
import { toMapPx } from '../../src/grading/card-frame.ts';
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
  // The stored report.json alone leads to the other files (the history opens an earlier card from it): each by
  // the sha256 the content-addressed store files it under.
  const files = reportFiles(r, g);
  const stored = JSON.parse(files[0].bytes.toString()) as { files: Record<string, { sha256: string; mediaType: string }>; grade: number };
  t.equal(stored.grade, j.grade, 'report.json is the report');
  t.same(Object.keys(stored.files).sort(), names.filter((n) => n !== 'report.json').sort(), 'report.json names every other file');
  for (const f of files.slice(1)) t.same(stored.files[f.name], { sha256: createHash('sha256').update(f.bytes).digest('hex'), mediaType: f.mediaType }, `${f.name} by its sha256`);
});

t.test('report pictures of a fine map: whole side at ≤ 80 µm/px (area average of the full-size picture), defect crops at full resolution', async (t) => {
  // 40 µm/px: the whole-side pictures are the maps halved.
  const maps = syntheticMaps({ umPerPx: 40, marginMm: 1.5, radiiMm: [3.2, 4.6, 3.2, 3.2], bites: [{ xMm: -8, yMm: 44.45, rMm: 0.4 }] });
  const m = measureSide(maps, card);
  const side = gradeSide('front', m.frame, m.centering, m.outline, []);
  t.ok(side.defects.length >= 2, `defects to crop (${side.defects.length})`);
  const g = gradeCard([side]);
  const r = await buildReport(g, [{ maps, frame: m.frame }], { title: 'fine' });
  const im = r.images[0];
  t.equal(im.overviewUmPerPx, 80, 'overview scale');
  const w = Math.round(maps.widthPx / 2), h = Math.round(maps.heightPx / 2);
  for (const [name, png, ch] of [['albedo overlay', im.albedoOverlay, 3], ['shaded relief', im.shadedRelief, 1], ['normal map', im.normalMap, 3]] as const) {
    const meta = await sharp(png).metadata();
    t.same([meta.width, meta.height, meta.channels], [w, h, ch], `${name}: ${w}×${h}, ${ch} channel(s)`);
  }
  // The full-size grey picture the report used to draw (0 at 0, 255 at the card's 99.5th percentile),
  // averaged over 2×2: the overview must match it within a grey level, away from the drawn outlines.
  const vals: number[] = [];
  const step = Math.max(1, Math.floor(maps.albedo.length / 100_000));
  for (let i = 0; i < maps.albedo.length; i += step) if (maps.mask[i]) vals.push(maps.albedo[i]);
  vals.sort((a, b) => a - b);
  const white = vals[Math.floor(0.995 * (vals.length - 1))];
  const full = (x: number, y: number): number => Math.max(0, Math.min(255, Math.round((255 * maps.albedo[y * maps.widthPx + x]) / white)));
  // Each overview pixel's footprint in the maps: [floor(i·f), floor((i+1)·f)) with f = map size / overview size.
  const span = (i: number, src: number, dst: number): [number, number] => { const f = src / dst, lo = Math.floor(i * f); return [lo, Math.max(lo + 1, Math.min(src, Math.floor((i + 1) * f)))]; };
  const { data } = await sharp(im.albedoOverlay).raw().toBuffer({ resolveWithObject: true });
  let worst = 0, compared = 0;
  for (let y = 0; y < h; y++) {
    const [y0, y1] = span(y, maps.heightPx, h);
    for (let x = 0; x < w; x++) {
      const o = 3 * (y * w + x);
      if (data[o] !== data[o + 1] || data[o] !== data[o + 2]) continue; // an outline or a label
      const [x0, x1] = span(x, maps.widthPx, w);
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += full(xx, yy);
      const mean = sum / ((y1 - y0) * (x1 - x0));
      worst = Math.max(worst, Math.abs(data[o] - mean));
      compared++;
    }
  }
  t.ok(compared > 0.95 * w * h, `compared ${compared} of ${w * h} px`);
  t.ok(worst <= 1, `overview within ${worst.toFixed(2)} ≤ 1 grey level of the full-size picture averaged`);
  // Crops: the defect's box and 1 mm around it (within the maps) at the maps' own scale, enlarged to at
  // least 160 px wide.
  const pad = Math.round(m.frame.pxPerMm);
  for (const [k, d] of side.defects.entries()) {
    const [x0, y0, x1, y1] = defectBoxPx(m.frame, d);
    const cw = Math.min(maps.widthPx, x1 + pad) - Math.max(0, x0 - pad), ch = Math.min(maps.heightPx, y1 + pad) - Math.max(0, y0 - pad);
    const meta = await sharp(im.crops[k]).metadata();
    const want = cw >= 160 ? [cw, ch] : [160, Math.round((ch * 160) / cw)];
    t.same([meta.width, meta.height], want, `crop ${k + 1} (${d.type}): ${cw}×${ch} px of map → ${want.join('×')}`);
  }
});

t.test('defects on the albedo overlay are numbered as the report and the touchscreen number them, legibly', async (t) => {
  // The touchscreen shows the whole side at about a third of its size (800×480: a 250 px tall box): a label of
  // w/60 px (the type written beside the number) was 5 px there; the number alone on a badge is w/24.
  const maps = syntheticMaps({ umPerPx: 120, marginMm: 1.5, radiiMm: [3.2, 4.6, 3.2, 3.2], bites: [{ xMm: -8, yMm: 44.45, rMm: 0.4 }] });
  const m = measureSide(maps, card);
  const side = gradeSide('front', m.frame, m.centering, m.outline, []);
  t.ok(side.defects.length >= 2, `defects to label (${side.defects.length})`);
  const p = await drawSidePictures(maps, m.frame, side);
  const svg = (p.albedoOverlay.overlays ?? []).map((o) => o.svg).join('');
  const labels = [...svg.matchAll(/<text [^>]*font-size="(\d+)"[^>]*>([^<]*)<\/text>/g)].map((x) => ({ size: Number(x[1]), text: x[2] }));
  t.same(labels.map((l) => l.text), side.defects.map((_, k) => String(k + 1)), 'one number per defect, in the order of the defect list');
  t.ok(labels.every((l) => l.size >= p.albedoOverlay.width / 24), `label size ${labels[0]?.size} px ≥ ${(p.albedoOverlay.width / 24).toFixed(1)} (picture ${p.albedoOverlay.width} px wide)`);
});

t.test('the native whole-side pictures are the TypeScript path\'s bytes (resampling, then grey, shade and normal colours)', async (t) => {
  const native = await loadVisionNative();
  if (!native?.resamplePictures) {
    t.comment('native/vision not built with resamplePictures: only the refusal of a forced native path is checked');
    const one: CardSideMaps = { side: 'front', widthPx: 4, heightPx: 4, umPerPx: 25, mask: new Uint8Array(16), normals: new Float32Array(48), albedo: new Float32Array(16), reliefUm: new Float32Array(16) };
    await t.rejects(overviewPixels(one, 2, 1, 'native'), { code: 'GB_VISION_FAILED' }, 'native forced without the addon: an error');
    return;
  }
  let s = 12345;
  const r = (): number => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
  let pictures = 0;
  for (const [w, h, factor, white] of [[301, 413, 3, 0.9], [256, 190, 2, 255], [97, 131, 4, 1.7], [64, 64, 2, 0.05]] as const) {
    const n = w * h;
    const maps: CardSideMaps = { side: 'front', widthPx: w, heightPx: h, umPerPx: 25, mask: new Uint8Array(n), normals: new Float32Array(3 * n), albedo: new Float32Array(n), reliefUm: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      // A card with a ragged edge, tilted and noisy normals, albedo past white and below 0, and a few odd readings.
      const x = i % w, y = Math.floor(i / w);
      maps.mask[i] = x > 5 + 3 * r() && y > 4 && x < w - 6 ? 1 : 0;
      const nx = (r() - 0.5) * 0.6, ny = (r() - 0.5) * 0.6;
      maps.normals.set([nx, ny, Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny))], 3 * i);
      // Whole and half values (with white 255 the scale is 1: 2×2 averages land on exact halves, ties to even).
      maps.albedo[i] = white === 255 ? Math.floor(r() * 520) / 2 - 2 : r() * 1.3 * white - 0.05;
      maps.reliefUm[i] = r() * 50;
      const odd = r();
      if (odd < 0.002) maps.normals.set([0, 0, 0], 3 * i);
      else if (odd < 0.004) maps.normals[3 * i + 1] = NaN;
      else if (odd < 0.006) maps.albedo[i] = NaN;
      else if (odd < 0.007) maps.albedo[i] = Infinity;
    }
    const a = await overviewPixels(maps, factor, white, 'native');
    const b = await overviewPixels(maps, factor, white, 'ts');
    t.same([a.width, a.height], [b.width, b.height], `${w}×${h} by ${factor}: ${b.width}×${b.height}`);
    for (const k of ['albedoRgb', 'shade', 'normalRgb'] as const) {
      let differ = 0, first = -1;
      for (let i = 0; i < b[k].length; i++) if (a[k][i] !== b[k][i]) { differ++; if (first < 0) first = i; }
      t.equal(differ, 0, `${w}×${h} by ${factor}, ${k}: identical bytes${differ ? ` (first at ${first}: ${a[k][first]} vs ${b[k][first]})` : ''}`);
      pictures++;
    }
  }
  t.equal(pictures, 12);
});

t.test('the defects drawn as one small SVG each give the pixels one whole-picture SVG gives', async (t) => {
  const maps = syntheticMaps({ umPerPx: 40, marginMm: 1.5, radiiMm: [3.2, 4.6, 3.2, 3.2], bites: [{ xMm: -8, yMm: 44.45, rMm: 0.4 }, { xMm: -7, yMm: 44.45, rMm: 0.3 }] });
  const m = measureSide(maps, card);
  // Surface defects overlapping each other and one at the picture's corner, beside the measured ones.
  const at = (type: SurfaceDefect['type'], x: number, y: number, lengthMm: number, widthMm: number): SurfaceDefect => {
    const [cx, cy] = toMapPx(m.frame, x, y), hx = (lengthMm / 2) * m.frame.pxPerMm, hy = (widthMm / 2) * m.frame.pxPerMm;
    return { type, side: 'front', centerMm: [x, y], lengthMm, widthMm, depthUm: 10, areaMm2: lengthMm * widthMm, confidence: 0.9, boxPx: [Math.floor(cx - hx), Math.floor(cy - hy), Math.ceil(cx + hx), Math.ceil(cy + hy)] };
  };
  const surface = [at('scratch', 0, 0, 20, 0.3), at('dent', 1, 1, 3, 3), at('stain', -31, 44, 4, 4)];
  const side = gradeSide('front', m.frame, m.centering, m.outline, surface);
  const p = await drawSidePictures(maps, m.frame, side);
  const a = p.albedoOverlay;
  t.equal(a.overlays?.length, side.defects.length, `one overlay per defect (${side.defects.length})`);
  t.ok((a.overlays ?? []).every((o) => o.left >= 0 && o.top >= 0), 'each within the picture');
  // The same shapes in one SVG the size of the picture, as the report drew them before.
  const shapes = (a.overlays ?? []).map((o) => /<g [^>]*>(.*)<\/g>/.exec(o.svg)?.[1] ?? '').join('');
  const whole = await sharp(a.data, { raw: { width: a.width, height: a.height, channels: 3 } })
    .composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${a.width}" height="${a.height}">${shapes}</svg>`), top: 0, left: 0 }]).removeAlpha().raw().toBuffer();
  const now = await sharp((await encodeSidePictures(p)).albedoOverlay).raw().toBuffer();
  let differ = 0, drawn = 0;
  for (let i = 0; i < whole.length; i++) { if (whole[i] !== now[i]) differ++; if (whole[i] !== a.data[i]) drawn++; }
  t.ok(drawn > 1000, `the shapes cover ${drawn} bytes`);
  t.equal(differ, 0, 'identical pixels');
});
