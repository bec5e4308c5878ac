import t from 'tap';
import { readFile } from 'node:fs/promises';
import { defaultGeometryPath, loadBoothGeometry, validateGeometry, withCameraSize } from '../../src/geometry/booth-geometry.ts';
import { footprintUmAtCentre, pinholeFromSpec, pixelRay, projectPoint } from '../../src/geometry/camera-model.ts';

t.test('the shipped rig: 24 LEDs, 3 rings × 8, 150–300 mm from the card centre, 12 MP at ≤ 25 µm/px', async (t) => {
  const g = await loadBoothGeometry();
  t.equal(g.leds.length, 24);
  const rings = new Map<number, number>();
  for (const led of g.leds) {
    const d = Math.hypot(...led.positionMm);
    t.ok(d >= 150 && d <= 300, `LED ${led.channel} at ${d.toFixed(0)} mm`);
    const elev = Math.round((Math.asin(led.positionMm[2] / d) * 180) / Math.PI);
    rings.set(elev, (rings.get(elev) ?? 0) + 1);
  }
  t.same([...rings.entries()].sort((a, b) => a[0] - b[0]), [[15, 8], [35, 8], [60, 8]], 'elevations 15°, 35°, 60°, 8 azimuths each');
  t.ok(g.camera.widthPx * g.camera.heightPx >= 12e6, '12 MP sensor');
  const fp = footprintUmAtCentre(pinholeFromSpec(g.camera));
  t.ok(fp <= 25, `${fp.toFixed(2)} µm/px on the tray`);
});

t.test('a bad key is named in the error', async (t) => {
  const raw = JSON.parse(await readFile(defaultGeometryPath, 'utf8'));
  raw.leds[3].beamExponent = -1;
  t.throws(() => validateGeometry(raw, 'rig.json'), { code: 'GB_CONFIG_INVALID', message: /leds\[3\]\.beamExponent/ });
  const raw2 = JSON.parse(await readFile(defaultGeometryPath, 'utf8'));
  raw2.leds[5].channel = 7;
  t.throws(() => validateGeometry(raw2, 'rig.json'), { code: 'GB_CONFIG_INVALID', message: /channel n = LED n/ });
  const g = await loadBoothGeometry();
  t.throws(() => withCameraSize(g, 100, 100), { code: 'GB_USAGE' });
});

t.test('pinhole: a pixel ray hits the point that projects back to the pixel (with distortion too)', async (t) => {
  const g = await loadBoothGeometry();
  for (const k of [[0, 0], [-0.08, 0.01]] as const) {
    const cam = pinholeFromSpec({ ...withCameraSize(g, 750, 1024).camera, radialDistortion: [k[0], k[1]] });
    for (const [px, py] of [[0.5, 0.5], [374.5, 511.5], [700.25, 1000.75]]) {
      const d = pixelRay(cam, px, py);
      const s = -cam.positionMm[2] / d[2];
      const p: [number, number, number] = [cam.positionMm[0] + s * d[0], cam.positionMm[1] + s * d[1], 0];
      const [qx, qy] = projectPoint(cam, p);
      t.ok(Math.hypot(qx - px, qy - py) < 1e-6, `k1=${k[0]} (${px}, ${py}) round trip`);
    }
    const [cx, cy] = projectPoint(cam, [0, 0, 0]);
    t.ok(Math.abs(cx - 375) < 1e-9 && Math.abs(cy - 512) < 1e-9, 'the tray origin is at the principal point');
    const [, yUp] = projectPoint(cam, [0, 10, 0]);
    t.ok(yUp < cy, '+y on the tray is up in the image');
  }
});
