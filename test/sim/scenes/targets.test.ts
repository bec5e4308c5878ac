import t from 'tap';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { projectPoint } from '../../../src/geometry/camera-model.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { dotCenterMm, reliefHeightMm } from '../../../src/geometry/targets.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 600, 820);
const config = await loadSceneConfig();

t.test('dot grid: rendered dots sit at the known pitch', async (t) => {
  const { scene, truth } = buildScene({ kind: 'dot-grid', seed: 3, geometry, config });
  if (truth.kind !== 'dot-grid') throw new Error('dot-grid expected');
  const r = new SceneRenderer({ geometry, threads: 0 });
  r.setScene(scene);
  const gt = await r.groundTruth();
  const rot = (truth.placement.rotationDeg * Math.PI) / 180;
  let dark = 0;
  const checked = [[0, 0], [5, 7], [truth.columns - 1, truth.rows - 1], [10, 20]];
  for (const [c, rw] of checked) {
    const [u, v] = dotCenterMm(config.dotGrid, c, rw);
    const p: [number, number, number] = [truth.placement.xMm + Math.cos(rot) * u - Math.sin(rot) * v, truth.placement.yMm + Math.sin(rot) * u + Math.cos(rot) * v, truth.thicknessMm];
    const [x, y] = projectPoint(r.camera, p);
    if (gt.albedo[Math.floor(y) * r.widthPx + Math.floor(x)] < 0.3) dark++;
  }
  t.equal(dark, checked.length, 'every predicted dot centre is dark');
  const [u0, v0] = dotCenterMm(config.dotGrid, 0, 0);
  const [u1] = dotCenterMm(config.dotGrid, 1, 0);
  t.equal(Math.round((u1 - u0) * 1000), config.dotGrid.pitchMm * 1000, 'pitch');
  t.ok(v0 > 0, 'row 0 is at the top');
});

t.test('relief target: rendered height equals the known geometry; white flat is flat and matte', async (t) => {
  const spec = config.relief;
  t.equal(Math.round(reliefHeightMm(spec, spec.sphereCap.centerMm[0], spec.sphereCap.centerMm[1]) * 1e6), spec.sphereCap.capHeightMm * 1e6, 'cap apex height');
  const ramp = spec.ramps[1];
  const top = reliefHeightMm(spec, ramp.centerMm[0], ramp.centerMm[1] + ramp.lengthMm / 2 - 1e-6);
  t.ok(Math.abs(top - ramp.lengthMm * Math.tan((ramp.slopeDeg * Math.PI) / 180)) < 1e-6, 'ramp rises at its slope');
  const { scene, truth } = buildScene({ kind: 'relief', seed: 1, geometry, config });
  if (truth.kind !== 'relief') throw new Error('relief expected');
  const r = new SceneRenderer({ geometry, threads: 0 });
  r.setScene(scene);
  const gt = await r.groundTruth();
  // The apex pixel: height = plate + cap, normal straight up.
  const rot = (truth.placement.rotationDeg * Math.PI) / 180;
  const [u, v] = spec.sphereCap.centerMm;
  const apex: [number, number, number] = [truth.placement.xMm + Math.cos(rot) * u - Math.sin(rot) * v, truth.placement.yMm + Math.sin(rot) * u + Math.cos(rot) * v, spec.thicknessMm + spec.sphereCap.capHeightMm];
  const [x, y] = projectPoint(r.camera, apex);
  const i = Math.floor(y) * r.widthPx + Math.floor(x);
  t.ok(Math.abs(gt.height[i] - apex[2]) < 0.01, `apex height ${gt.height[i].toFixed(4)} mm`);
  t.ok(gt.normal[i * 3 + 2] > 0.999, 'apex normal up');

  const white = buildScene({ kind: 'white', seed: 1, geometry, config });
  r.setScene(white.scene);
  const wgt = await r.groundTruth();
  let tilted = 0;
  let n = 0;
  for (let j = 0; j < wgt.cover.length; j++) {
    if (wgt.cover[j] !== 255) continue;
    n++;
    if (wgt.normal[j * 3 + 2] < 0.99999) tilted++;
  }
  t.ok(n > 0.8 * wgt.cover.length * 0.7, 'the white flat fills most of the view');
  t.ok(tilted < n * 0.01, 'flat except its edges');
});

t.test('empty tray renders with no object', async (t) => {
  const { scene } = buildScene({ kind: 'tray', seed: 1, geometry, config });
  const r = new SceneRenderer({ geometry, threads: 0 });
  r.setScene(scene);
  const gt = await r.groundTruth();
  t.ok(gt.cover.every((c) => c === 0), 'nothing on the tray');
  const f = await r.expose({ levels: Array.from({ length: 24 }, (_, k) => (k === 16 ? 4095 : 0)), exposureUs: 10000, seed: 1 });
  const mean = f.reduce((s, v) => s + v, 0) / f.length;
  t.ok(mean > r.sensor.blackLevelDn + 50, `the tray is lit (${mean.toFixed(0)} DN)`);
});
