import t from 'tap';
import { privateDir } from './temp-dir.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSimCapture } from '../../src/sim/export/sim-capture.ts';
import { loadBoothGeometry, withCameraSize } from '../../src/geometry/booth-geometry.ts';
import { loadSceneConfig } from '../../src/geometry/targets.ts';
import { readPng } from '../../src/imaging/png.ts';
import { toLuminance } from '../../src/calibration/sphere-image.ts';
import { parseIntrinsics } from '../../src/geometry/camera-file.ts';
import { measureSpherePlacement } from '../../src/calibration/sphere-placement.ts';
import { summariseLedPositions, triangulateLeds } from '../../src/calibration/led-positions.ts';
import { worldToCamera } from '../../src/geometry/camera-model.ts';
import type { Vec3 } from '../../src/calibration/mirror-sphere.ts';

// The simulator's chrome sphere under its near-field LEDs (the real firmware-independent renderer), at four
// seeded placements. The simulator places the sphere within ±maxShiftMm of the tray centre; it is widened
// here to 22 mm (the sphere stays inside the 74 mm wide field) so the placements give a useful baseline.
t.test('simulated booth: 24 LED positions from four mirror-sphere placements', async (t) => {
  const dir = privateDir(t, 'sphere');
  const geometry = withCameraSize(await loadBoothGeometry(), 750, 1024);
  const config = await loadSceneConfig();
  config.chromeSphere.placement.maxShiftMm = 22;
  const placements = [];
  let truth: any;
  for (const seed of [1, 2, 3, 4]) {
    const out = join(dir, `sphere-${seed}`);
    truth = await writeSimCapture({ kind: 'chrome-sphere', seed, side: 'front', distantLights: false, geometry, config, out, threads: 2 });
    const k = parseIntrinsics(truth, 'truth.json');
    const files = (await readFile(join(out, 'filenames.txt'), 'utf8')).trim().split('\n');
    const images = await Promise.all(files.map(async (f) => toLuminance(await readPng(join(out, f)))));
    const m = measureSpherePlacement(k, toLuminance(await readPng(join(out, 'mask.png'))), images, truth.target.radiusMm);
    const trueCentre = worldToCamera(truth.target.centerMm, truth.camera.rotationWorldToCamera, truth.camera.positionMm);
    const e = Math.hypot(...m.location.centreMm.map((v, i) => v - trueCentre[i]));
    t.ok(e < 0.1, `placement ${seed}: sphere centre within 0.1 mm (${e.toFixed(3)} mm)`);
    placements.push({ k, m });
  }
  const leds = triangulateLeds(placements[0].k, placements.map((p) => p.m.placement));
  const errors = leds.map((l, i) => {
    const want = worldToCamera(truth.leds[i].positionMm as Vec3, truth.camera.rotationWorldToCamera, truth.camera.positionMm);
    return Math.hypot(...l.positionMm.map((v, j) => v - want[j]));
  });
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  t.comment(`simulated booth at 750×1024: LED error mean ${mean.toFixed(3)} mm, max ${Math.max(...errors).toFixed(3)} mm; per LED ${errors.map((e) => e.toFixed(2)).join(' ')}`);
  t.comment(`rays per LED ${leds.map((l) => l.rays).join(' ')}; rms residual mean ${(leds.reduce((s, l) => s + l.rmsResidualMm, 0) / leds.length).toFixed(3)} mm`);
  const figures = summariseLedPositions(leds);
  t.comment(`figures ${JSON.stringify(figures)}`);
  t.equal(figures.leds, 24);
  t.comment(`uncertainty per LED (mm): ${leds.map((l) => l.uncertaintyMm.toFixed(2)).join(' ')}`);
  t.ok(figures.maxResidualMm < 0.5, 'rays meet within 0.5 mm');
  t.ok(errors.every((e, i) => e < 2 * leds[i].uncertaintyMm + 0.5), 'each error is within what its reported uncertainty allows');
  t.ok(mean < 1, `mean ${mean.toFixed(3)} mm`);
  t.ok(Math.max(...errors) < 2.5, `max ${Math.max(...errors).toFixed(3)} mm`);
});
