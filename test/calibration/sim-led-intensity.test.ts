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
import { ledIntensitiesFromWhite } from '../../src/calibration/led-intensity.ts';
import { worldToCamera } from '../../src/geometry/camera-model.ts';
import type { Vec3 } from '../../src/calibration/mirror-sphere.ts';

t.test('simulated white target: relative LED intensities against the simulator truth', async (t) => {
  const out = join(privateDir(t, 'white'), 'white');
  const truth: any = await writeSimCapture({
    kind: 'white', seed: 1, side: 'front', distantLights: false,
    geometry: withCameraSize(await loadBoothGeometry(), 375, 512), config: await loadSceneConfig(), out, threads: 2,
  });
  const k = parseIntrinsics(truth, 'truth.json');
  const files = (await readFile(join(out, 'filenames.txt'), 'utf8')).trim().split('\n');
  const images = await Promise.all(files.map(async (f) => toLuminance(await readPng(join(out, f)))));
  const { rotationWorldToCamera: R, positionMm: P } = truth.camera;
  const leds = truth.leds.map((l: { positionMm: Vec3 }) => worldToCamera(l.positionMm, R, P));
  const plane = { pointMm: worldToCamera([0, 0, truth.target.thicknessMm], R, P), normal: worldToCamera([0, 0, 1], R, [0, 0, 0]) };
  const r = ledIntensitiesFromWhite(k, plane, leds, images, { mask: toLuminance(await readPng(join(out, 'mask.png'))), gainMaps: true });
  const want = truth.leds.map((l: { radiantIntensityWSr: number }) => l.radiantIntensityWSr);
  const meanWant = want.reduce((a: number, b: number) => a + b, 0) / want.length;
  const ratios = r.relative.map((v, i) => v / (want[i] / meanWant));
  t.comment(`measured/true relative intensity per LED: ${ratios.map((x) => x.toFixed(3)).join(' ')}`);
  t.comment(`spread over the target (beam profile, vignetting) %: ${r.spreadPercent.map((x) => x.toFixed(1)).join(' ')}`);
  // The LEDs' cos² beam profile is not removed (it belongs to the flat-field), so the 60° ring, closest to
  // the target and seeing it over the widest angles, reads a few percent low.
  t.ok(ratios.every((x) => Math.abs(x - 1) < 0.06), 'every LED within 6% of its true relative intensity');
  t.equal(r.gainMaps?.length, 24);
});
