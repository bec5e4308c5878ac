// The committed surface model on cards it never saw: rendered here by the simulator (seeds far from the
// training seeds), reconstructed by the booth's photometric stereo, then detected. Issue 11's bounds:
// scratches, dents and creases found with their centre within 2.5 mm and the right type; no defect on a
// clean card or a clean holo-foil card; a dent's depth within 20 % or 8 µm of the truth.
import t from 'tap';
import { loadSurfaceDetector } from '../../../src/grading/surface/load.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { footprintUmAtCentre } from '../../../src/geometry/camera-model.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import type { CardTruth } from '../../../src/sim/scenes/card.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { renderAndReconstructSide } from '../../../src/sim/export/surface-training-maps.ts';

const modelsRoot = new URL('../../../models/', import.meta.url).pathname;
// ≈ 59 µm/px on the card, the scale `grade --um-per-px 60` works at.
const geometry = withCameraSize(await loadBoothGeometry(), 1250, 1707);
const config = await loadSceneConfig();

async function renderSide(renderer: SceneRenderer, seed: number, options: { foil?: boolean; defects?: boolean }): Promise<{ maps: CardSideMaps; card: CardTruth }> {
  // The renderer's light model (booth LEDs or distant lights) decides how the side is reconstructed.
  const { scene, truth } = buildScene({ kind: 'card', seed, side: 'front', geometry, config, ...options });
  if (truth.kind !== 'card') throw new Error('not a card');
  const maps = await renderAndReconstructSide(renderer, scene, geometry, geometry.sensor.defaultExposureUs, seed * 1000, footprintUmAtCentre(renderer.camera), 60, 'front');
  return { maps, card: truth.card };
}

const renderer = new SceneRenderer({ geometry, threads: 2, distantLights: false });
// Distant lights, as the capture folders `gradebooth grade --input` reads (issue 11's check) have them.
const distant = new SceneRenderer({ geometry, threads: 2, distantLights: true });
await renderer.start();
await distant.start();
const detector = await loadSurfaceDetector(modelsRoot);
t.teardown(async () => {
  await detector.close();
  await renderer.stop();
  await distant.stop();
});

t.test('a held-out card: every scratch, dent and crease found where it is, with its type; dent depth', async (t) => {
  // Seed 200008 (never trained on; model 1.4.0's post-processing calibration saw it, the recipe's calibration
  // seeds have since moved to 400001..): two scratches, a dent and a crease (and corner wear, not a surface defect).
  const { maps, card } = await renderSide(renderer, 200008, {});
  const truths = card.defects.filter((d) => d.kind === 'scratch' || d.kind === 'dent' || d.kind === 'crease');
  t.same(truths.map((d) => d.kind).sort(), ['crease', 'dent', 'scratch', 'scratch'], 'the seed still draws what this test is about');
  const found = await detector.detect(maps);
  const dist = (f: SurfaceDefect, c: [number, number]): number => Math.hypot(f.centerMm[0] - c[0], f.centerMm[1] - c[1]);
  for (const d of truths) {
    const near = found.filter((f) => dist(f, d.centerMm) <= 2.5);
    t.ok(near.some((f) => f.type === d.kind), `${d.kind} at [${d.centerMm.map((v) => v.toFixed(1))}] found as ${d.kind} (near: ${JSON.stringify(near.map((f) => [f.type, f.centerMm.map((v) => +v.toFixed(1))]))})`);
    if (d.kind === 'dent') {
      const dent = near.find((f) => f.type === 'dent');
      if (dent) t.ok(Math.abs(dent.depthUm - d.depthUm) <= Math.max(8, 0.2 * d.depthUm), `dent depth ${dent.depthUm.toFixed(1)} µm, truth ${d.depthUm.toFixed(1)} µm`);
    }
  }
  const spurious = found.filter((f) => !card.defects.some((d) => dist(f, d.centerMm) <= 2.5 || d.kind === 'crease' && f.type === 'crease'));
  t.same(spurious, [], 'nothing reported away from the true defects');
  for (const f of found) {
    t.ok(f.confidence >= 0.5 && f.confidence <= 1 && f.areaMm2 > 0 && f.lengthMm >= f.widthMm, `${f.type}: confidence, area, length ≥ width`);
    t.ok(f.boxPx[0] < f.boxPx[2] && f.boxPx[2] <= maps.widthPx && f.boxPx[3] <= maps.heightPx, `${f.type}: box inside the map`);
  }
});

async function cleanSideReports(foil: boolean): Promise<Array<[string, string, unknown, number]>> {
  const out: Array<[string, string, unknown, number]> = [];
  for (const [lights, r] of [['booth LEDs', renderer], ['distant lights', distant]] as const) {
    const { maps } = await renderSide(r, 200003, { foil, defects: false });
    for (const f of await detector.detect(maps)) out.push([lights, f.type, f.centerMm.map((v) => +v.toFixed(1)), +f.confidence.toFixed(2)]);
  }
  return out;
}

t.test('clean plain cards, booth LEDs and distant lights: no defect reported', async (t) => {
  t.same(await cleanSideReports(false), []);
});

// Issue 11's bar, which the shipped model does not reach yet: holo foil does not fit the Lambertian model,
// reconstructs as false relief, and model 1.4.0 still reports parts of it as creases (on this card three
// under the booth's LEDs, none under distant lights; 2 of 18 held-out foil sides, its MODEL_CARD.md, against
// 1.3.1's 9). Run and reported on every test run; a todo until a model passes it.
t.test('clean holo-foil cards, booth LEDs and distant lights: no defect reported', { todo: 'surface-defects 1.4.1 (1.4.0 in 8 bits) reads some holo foil as creases (issue 11 open)' }, async (t) => {
  t.same(await cleanSideReports(true), []);
});

t.test('inference runs off the event loop: the loop turns while a side is being detected', async (t) => {
  const { maps } = await renderSide(renderer, 200003, { defects: false });
  let done = false;
  const running = detector.detect(maps).then(() => { done = true; });
  let turns = 0;
  while (!done) {
    await new Promise((r) => setImmediate(r));
    if (!done) turns++;
  }
  await running;
  // The resampling, features and tiles run in the native kernels' pool and the network on its own thread
  // (network-session.test.ts checks that the loop turns during each network call too).
  t.ok(turns > 10, `${turns} event-loop turns during detect()`);
});
