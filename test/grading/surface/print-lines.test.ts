// Print lines are measured (src/grading/surface/print-lines.ts), with the shipped model's threshold
// (postprocess.printLineMinContrast): the weakest line the simulator draws (0.05 mm, ±0.04 albedo) is found
// in either orientation where it is, also when it falls between two pixels of the model's grid; a line over
// half the card is not a print line; and the print of rendered, reconstructed sim sides (border, keyline,
// text box, foil, card back, other defects) gives none, while a rendered side's own print line is found.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSurfaceModelDir } from '../../../src/grading/surface/load.ts';
import type { SurfaceModelManifest } from '../../../src/grading/surface/manifest.ts';
import { measurePrintLines, printLineDefects, withMeasuredPrintLines } from '../../../src/grading/surface/print-lines.ts';
import { resampleSideMaps } from '../../../src/grading/surface/resample.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { footprintUmAtCentre } from '../../../src/geometry/camera-model.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { renderAndReconstructSide } from '../../../src/sim/export/surface-training-maps.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import type { DefectTruth } from '../../../src/sim/scenes/defects.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

const modelsRoot = new URL('../../../models/', import.meta.url).pathname;
const manifest: SurfaceModelManifest = JSON.parse(await readFile(join(await resolveSurfaceModelDir(modelsRoot), 'manifest.json'), 'utf8'));
const pp = manifest.postprocess;
const minContrast = pp.printLineMinContrast;
if (minContrast === undefined) throw new Error(`the shipped model ${manifest.version} sets no postprocess.printLineMinContrast: print lines would not be measured`);
const options = { minContrast, edgeMarginMm: pp.edgeMarginMm };

// A synthetic side on the model's grid, as the area-averaged resampling makes it: a 63.5 × 88.9 mm card
// with rounded corners, a bright border (0.86, where an additive line has its weakest relative contrast),
// a 0.4 mm dark keyline around the print frame, mid-grey art, 1.5 % noise per pixel (reconstructed maps
// show ~0.6–1.7 %) and an arbitrary gain (reconstructed albedo is not in 0..1).
const umPerPx = 60, s = umPerPx / 1000, marginPx = 25;
const cardW = 63.5, cardH = 88.9;
const w = Math.round(cardW / s) + 2 * marginPx, h = Math.round(cardH / s) + 2 * marginPx;
/** Card-frame mm (x right, y up) of a pixel's left/top edge. */
const xMm = (x: number): number => x * s - w * s / 2;
const yMm = (y: number): number => h * s / 2 - y * s;

/** A stripe across the card at `posMm` (at the card's middle), `slope` mm across per mm along (0: along the axis). */
interface Stripe { vertical: boolean; posMm: number; widthMm: number; delta: number; fromMm?: number; toMm?: number; slope?: number }

function syntheticSide(seed: number, stripes: Stripe[]): CardSideMaps {
  const rnd = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const n = w * h;
  const maps: CardSideMaps = { side: 'front', widthPx: w, heightPx: h, umPerPx, mask: new Uint8Array(n), normals: new Float32Array(3 * n), albedo: new Float32Array(n), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(1) };
  const r = 3.2, hw = cardW / 2, hh = cardH / 2, border = 3;
  // Fraction of the pixel [a, a + s) covered by [lo, hi] (area averaging of a line finer than a pixel).
  const cover = (a: number, lo: number, hi: number): number => Math.max(0, Math.min(a + s, hi) - Math.max(a, lo)) / s;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = xMm(x) + s / 2, v = yMm(y) - s / 2;
      const qx = Math.abs(u) - (hw - r), qy = Math.abs(v) - (hh - r);
      const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
      maps.normals[3 * i + 2] = 1;
      if (outside > 0) continue;
      maps.mask[i] = 1;
      const inFrame = Math.abs(u) < hw - border && Math.abs(v) < hh - border;
      const onKeyline = inFrame && (Math.abs(u) > hw - border - 0.4 || Math.abs(v) > hh - border - 0.4);
      let a = !inFrame ? 0.86 : onKeyline ? 0.07 : 0.45 + 0.05 * Math.sin(u * 0.3 + v * 0.2);
      for (const st of stripes) {
        const along = st.vertical ? v : u;
        if (along < (st.fromMm ?? -Infinity) || along > (st.toMm ?? Infinity)) continue;
        const pos = st.posMm + (st.slope ?? 0) * along;
        a += st.delta * cover(st.vertical ? xMm(x) : yMm(y + 1), pos - st.widthMm / 2, pos + st.widthMm / 2);
      }
      maps.albedo[i] = 4000 * a * (1 + 0.015 * gauss());
    }
  }
  return maps;
}

const weakest = 0.05, faint = 0.04;
/** A position whose 0.05 mm line lies across a pixel boundary of the grid (half in each pixel). */
const between = (mm: number, horizontal = false): number => (horizontal ? yMm(Math.round((h * s / 2 - mm) / s)) : xMm(Math.round((mm + w * s / 2) / s)));

t.test('the weakest vertical and horizontal lines, lighter and darker, centred on a pixel or between two: found where they are', async (t) => {
  const cases: Array<[string, Stripe]> = [
    ['vertical, darker, between two pixels', { vertical: true, posMm: between(-9.3), widthMm: weakest, delta: -faint }],
    ['vertical, lighter, on a pixel', { vertical: true, posMm: between(17.1) + s / 2, widthMm: weakest, delta: faint }],
    ['horizontal, darker, between two pixels', { vertical: false, posMm: between(21.4, true), widthMm: weakest, delta: -faint }],
    ['horizontal, lighter, on a pixel', { vertical: false, posMm: between(-30.2, true) - s / 2, widthMm: weakest, delta: faint }],
  ];
  for (const [k, [name, st]] of cases.entries()) {
    const maps = syntheticSide(100 + k, [st]);
    const lines = measurePrintLines(maps, options);
    const defects = printLineDefects(lines, maps, maps, pp.cornerZoneMm);
    t.equal(defects.length, 1, `${name}: one line (${JSON.stringify(lines.map((l) => [l.orientation, +l.score.toFixed(4)]))})`);
    const [line] = lines, [d] = defects;
    if (!d) continue;
    t.equal(line.orientation, st.vertical ? 'vertical' : 'horizontal', `${name}: orientation`);
    t.equal(Math.sign(line.score), Math.sign(st.delta), `${name}: lighter or darker`);
    // Not barely: the worst case here (0.05 mm split between two pixels on the 0.86 border, ideal score
    // 0.04 / 0.86 × 0.025 / 0.06 ≈ 0.019, less what the 1.5 % noise takes from the median) scores ~0.013.
    t.ok(Math.abs(line.score) >= 1.5 * minContrast, `${name}: score ${line.score.toFixed(4)} at least 1.5× the threshold ${minContrast}`);
    const [across, along] = st.vertical ? [d.centerMm[0], d.centerMm[1]] : [d.centerMm[1], d.centerMm[0]];
    t.ok(Math.abs(across - st.posMm) <= 0.03, `${name}: across at ${across.toFixed(3)} mm, truth ${st.posMm.toFixed(3)}`);
    t.ok(Math.abs(along) <= 0.2, `${name}: centred along the card (${along.toFixed(2)} mm)`);
    const cardLength = st.vertical ? cardH : cardW;
    t.ok(d.lengthMm >= cardLength - 2 && d.lengthMm <= cardLength, `${name}: ${d.lengthMm.toFixed(1)} mm long, the card ${cardLength} mm`);
    t.ok(d.widthMm >= 0.04 && d.widthMm <= 0.15, `${name}: ${d.widthMm.toFixed(3)} mm wide`);
    t.equal(d.type, 'print-line');
    t.equal(d.depthUm, 0, `${name}: albedo only, no depth`);
    t.ok(d.confidence >= 0.5 && d.confidence <= 1, `${name}: confidence ${d.confidence.toFixed(2)}`);
    t.ok(Math.abs(d.areaMm2 - d.lengthMm * d.widthMm) < 1e-9, `${name}: area = length × width`);
    const [bw, bh] = [d.boxPx[2] - d.boxPx[0], d.boxPx[3] - d.boxPx[1]];
    t.ok(st.vertical ? bh > 100 * bw : bw > 100 * bh, `${name}: the box runs along the line (${bw}×${bh} px)`);
    t.equal(d.corner, undefined, `${name}: no corner`);
  }
});

t.test('the side at the camera\'s scale: the line is measured on the model grid and reported in the side\'s own pixels', async (t) => {
  // A side at 30 µm/px, made by upsampling the synthetic one; its defects are reported on it.
  const st: Stripe = { vertical: true, posMm: between(5.55), widthMm: 0.12, delta: -0.06 };
  const small = syntheticSide(7, [st]);
  const side = resampleSideMaps(small, 30);
  const defects = printLineDefects(measurePrintLines(small, options), small, side, pp.cornerZoneMm);
  t.equal(defects.length, 1);
  const [d] = defects;
  t.ok(Math.abs(d.centerMm[0] - st.posMm) <= 0.05, `centre ${d.centerMm[0].toFixed(3)} mm, truth ${st.posMm.toFixed(3)}`);
  const boxCentreMm = ((d.boxPx[0] + d.boxPx[2]) / 2) * 0.03 - side.widthPx * 0.03 / 2;
  t.ok(Math.abs(boxCentreMm - st.posMm) <= 0.1 && d.boxPx[3] <= side.heightPx && d.boxPx[3] - d.boxPx[1] > 2800, `box in the side's px around the line: ${JSON.stringify(d.boxPx)}`);
  t.ok(d.widthMm >= 0.08 && d.widthMm <= 0.18, `a 0.12 mm line measures ${d.widthMm.toFixed(3)} mm`);
});

t.test('a line turned against the card\'s edges (a diamond-cut card\'s print): found, centred where it is', async (t) => {
  const tan = (deg: number): number => Math.tan((deg * Math.PI) / 180);
  const cases: Array<[string, Stripe]> = [
    ['vertical, 0.3°', { vertical: true, posMm: 6.61, widthMm: 0.08, delta: -0.05, slope: tan(0.3) }],
    ['horizontal, −0.4°', { vertical: false, posMm: -17.77, widthMm: 0.08, delta: 0.05, slope: -tan(0.4) }],
  ];
  for (const [k, [name, st]] of cases.entries()) {
    const maps = syntheticSide(400 + k, [st]);
    const lines = measurePrintLines(maps, options);
    const defects = printLineDefects(lines, maps, maps, pp.cornerZoneMm);
    t.equal(defects.length, 1, `${name}: one line (${JSON.stringify(lines.map((l) => [l.orientation, +l.score.toFixed(4), l.driftPx]))})`);
    const [line] = lines, [d] = defects;
    if (!d) continue;
    t.equal(line.orientation, st.vertical ? 'vertical' : 'horizontal', `${name}: orientation`);
    const [across, along] = st.vertical ? [d.centerMm[0], d.centerMm[1]] : [d.centerMm[1], d.centerMm[0]];
    t.ok(Math.abs(across - st.posMm) <= 0.05 && Math.abs(along) <= 0.2, `${name}: centre at ${across.toFixed(3)} mm across, ${along.toFixed(2)} along; truth ${st.posMm}`);
    // Drift in map px over the measured length: slope × length (rows run down, so a vertical line's x
    // drifts by −slope per row; a horizontal line's row by −slope per column).
    const expected = -(st.slope ?? 0) * (line.toPx - line.fromPx);
    t.ok(Math.abs(line.driftPx - expected) <= 1.5, `${name}: drift ${line.driftPx} px, expected ${expected.toFixed(1)}`);
  }
});

t.test('lines that do not run over the whole card are not print lines', async (t) => {
  const strong = { widthMm: 0.2, delta: -0.1 };
  const cases: Array<[string, Stripe]> = [
    ['half the card\'s length, vertical', { vertical: true, posMm: 8.3, ...strong, fromMm: 0 }],
    ['half the card\'s width, horizontal', { vertical: false, posMm: -12.1, ...strong, toMm: 0 }],
    ['all but the last 3 mm (inside the print frame only)', { vertical: true, posMm: -20.4, ...strong, fromMm: -cardH / 2 + 3, toMm: cardH / 2 - 3 }],
    ['all but one end', { vertical: true, posMm: 2.2, ...strong, toMm: cardH / 2 - 3 }],
  ];
  for (const [k, [name, st]] of cases.entries()) {
    t.same(measurePrintLines(syntheticSide(200 + k, [st]), options), [], name);
  }
  // The same stripes over the whole length are found (the test above is not vacuous).
  for (const [k, [name, st]] of cases.entries()) {
    const whole = { ...st, fromMm: undefined, toMm: undefined };
    t.equal(measurePrintLines(syntheticSide(200 + k, [whole]), options).length, 1, `${name}, over the whole card: found`);
  }
  // The synthetic keyline alone (0.4 mm, 0.07 on 0.86 and 0.45) gives nothing.
  t.same(measurePrintLines(syntheticSide(300, []), options), [], 'border and keyline only: none');
});

t.test('the network\'s own print-line report on a measured line is dropped, its other defects kept', async (t) => {
  const st: Stripe = { vertical: false, posMm: 10.02, widthMm: 0.1, delta: 0.07 };
  const maps = syntheticSide(11, [st]);
  const base = { side: 'front' as const, depthUm: 0, areaMm2: 2, confidence: 0.9, boxPx: [100, 100, 140, 104] as [number, number, number, number] };
  const network: SurfaceDefect[] = [
    { ...base, type: 'print-line', centerMm: [-12, 10.3], lengthMm: 4, widthMm: 0.2 },
    { ...base, type: 'print-line', centerMm: [-12, -25], lengthMm: 4, widthMm: 0.2 },
    { ...base, type: 'scratch', centerMm: [3, 10.1], lengthMm: 4, widthMm: 0.2, depthUm: 5 },
  ];
  const merged = withMeasuredPrintLines(network, maps, maps, pp);
  const lines = merged.filter((d) => d.type === 'print-line');
  t.equal(lines.length, 2, 'the measured line and the network\'s line elsewhere');
  t.ok(lines.some((d) => Math.abs(d.centerMm[1] - st.posMm) < 0.05 && d.lengthMm > 60), 'the measured line');
  t.ok(lines.some((d) => d.centerMm[1] === -25), 'the network\'s line 35 mm away is kept');
  t.ok(merged.some((d) => d.type === 'scratch'), 'a scratch on the line is kept');
  t.same(withMeasuredPrintLines(network, maps, maps, { ...pp, printLineMinContrast: undefined }), network, 'without printLineMinContrast in the manifest: the network\'s defects unchanged');
});

// Rendered by the simulator and reconstructed by the booth's photometric stereo, at the scale
// `grade --um-per-px 60` works at (seeds far from the training seeds).
const geometry = withCameraSize(await loadBoothGeometry(), 1250, 1707);
const config = await loadSceneConfig();
const booth = new SceneRenderer({ geometry, threads: 2, distantLights: false });
const distant = new SceneRenderer({ geometry, threads: 2, distantLights: true });
await booth.start();
await distant.start();
t.teardown(async () => {
  await booth.stop();
  await distant.stop();
});

async function renderSide(renderer: SceneRenderer, seed: number, side: 'front' | 'back', options: { foil?: boolean; defects?: boolean }): Promise<{ maps: CardSideMaps; defects: DefectTruth[] }> {
  const { scene, truth } = buildScene({ kind: 'card', seed, side, geometry, config, ...options });
  if (truth.kind !== 'card') throw new Error('not a card');
  const maps = await renderAndReconstructSide(renderer, scene, geometry, geometry.sensor.defaultExposureUs, seed * 1000, footprintUmAtCentre(renderer.camera), 60, side);
  return { maps: resampleSideMaps(maps, manifest.input.umPerPx), defects: truth.card.defects };
}

t.test('rendered sides without a print line: border, keyline, text box, holo foil, card back, other defects give none', async (t) => {
  const sides: Array<[string, SceneRenderer, number, 'front' | 'back', { foil?: boolean; defects?: boolean }]> = [
    ['clean front with holo foil, distant lights', distant, 200003, 'front', { foil: true, defects: false }],
    ['clean back (rings), distant lights', distant, 200003, 'back', { defects: false }],
    ['clean front, booth LEDs', booth, 200003, 'front', { defects: false }],
    ['front with two scratches, a dent and a crease, booth LEDs', booth, 200008, 'front', {}],
  ];
  for (const [name, renderer, seed, side, opts] of sides) {
    const { maps, defects } = await renderSide(renderer, seed, side, opts);
    t.notOk(defects.some((d) => d.kind === 'print-line'), `${name}: the seed draws no print line`);
    const lines = measurePrintLines(maps, options);
    t.same(lines.map((l) => [l.orientation, +l.positionPx.toFixed(1), +l.score.toFixed(4)]), [], name);
  }
});

t.test('rendered sides with the simulator\'s print line: found, in its orientation, where it is', async (t) => {
  // Seed 200012's front: a vertical line 0.07 mm wide, −0.053; 200001's: horizontal, 0.06 mm, −0.093.
  for (const [name, renderer, seed] of [['booth LEDs', booth, 200012], ['distant lights', distant, 200001]] as const) {
    const { maps, defects } = await renderSide(renderer, seed, 'front', {});
    const truth = defects.find((d) => d.kind === 'print-line');
    if (!truth) { t.fail(`seed ${seed} no longer draws a print line`); continue; }
    const found = printLineDefects(measurePrintLines(maps, options), maps, maps, pp.cornerZoneMm);
    t.equal(found.length, 1, `${name}: one line`);
    const [d] = found;
    if (!d) continue;
    const vertical = (truth.detail as { orientation: string }).orientation === 'vertical';
    t.ok(vertical ? d.lengthMm > 80 : d.lengthMm > 55, `${name}: along the ${vertical ? 'length' : 'width'} (${d.lengthMm.toFixed(1)} mm)`);
    t.ok(Math.hypot(d.centerMm[0] - truth.centerMm[0], d.centerMm[1] - truth.centerMm[1]) <= 0.5, `${name}: centre [${d.centerMm.map((v) => v.toFixed(2))}], truth [${truth.centerMm.map((v) => v.toFixed(2))}]`);
  }
});
