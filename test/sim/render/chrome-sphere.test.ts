import t from 'tap';
import type { Vec3 } from '../../../src/geometry/booth-geometry.ts';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { projectPoint } from '../../../src/geometry/camera-model.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 600, 820);
const config = await loadSceneConfig();

function norm(v: Vec3): Vec3 {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** The sphere point whose mirror reflection sends the LED toward the camera (search over the sphere). */
function mirrorPoint(center: Vec3, r: number, led: Vec3, cam: Vec3): Vec3 {
  let best: Vec3 = center;
  let bestErr = Infinity;
  let th0 = 0, th1 = Math.PI / 2, ph0 = -Math.PI, ph1 = Math.PI;
  for (let level = 0; level < 6; level++) {
    const steps = 60;
    let bt = 0, bp = 0;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; j <= steps; j++) {
        const th = th0 + ((th1 - th0) * i) / steps;
        const ph = ph0 + ((ph1 - ph0) * j) / steps;
        const n: Vec3 = [Math.sin(th) * Math.cos(ph), Math.sin(th) * Math.sin(ph), Math.cos(th)];
        const p: Vec3 = [center[0] + r * n[0], center[1] + r * n[1], center[2] + r * n[2]];
        const l = norm([led[0] - p[0], led[1] - p[1], led[2] - p[2]]);
        const v = norm([cam[0] - p[0], cam[1] - p[1], cam[2] - p[2]]);
        const h = norm([l[0] + v[0], l[1] + v[1], l[2] + v[2]]);
        const err = 1 - (h[0] * n[0] + h[1] * n[1] + h[2] * n[2]);
        if (err < bestErr) {
          bestErr = err;
          best = p;
          bt = th;
          bp = ph;
        }
      }
    }
    const dt = (th1 - th0) / steps;
    const dp = (ph1 - ph0) / steps;
    th0 = Math.max(0, bt - 2 * dt); th1 = bt + 2 * dt;
    ph0 = bp - 2 * dp; ph1 = bp + 2 * dp;
  }
  return best;
}

t.test('chrome sphere: each highlight lies where the mirror reflection of its LED predicts', async (t) => {
  const { scene, truth } = buildScene({ kind: 'chrome-sphere', seed: 2, geometry, config });
  if (truth.kind !== 'chrome-sphere') throw new Error('expected a sphere');
  const r = new SceneRenderer({ geometry, threads: 2 });
  await r.start();
  t.teardown(() => r.stop());
  r.setScene(scene);
  const gt = await r.groundTruth();
  const w = r.widthPx;
  for (const k of [0, 5, 10, 13, 19, 23]) {
    const levels = Array.from({ length: 24 }, (_, j) => (j === k ? 4095 : 0));
    const frame = await r.expose({ levels, exposureUs: 1000, seed: k, noise: false });
    let max = 0;
    for (let i = 0; i < frame.length; i++) if (gt.cover[i] === 255 && frame[i] > max) max = frame[i];
    // Centroid of the highlight: sphere pixels above half of the peak (above the black level).
    const black = r.sensor.blackLevelDn;
    const thr = black + (max - black) / 2;
    let sx = 0, sy = 0, sw = 0;
    for (let i = 0; i < frame.length; i++) {
      if (gt.cover[i] !== 255 || frame[i] < thr) continue;
      const wgt = frame[i] - black;
      sx += ((i % w) + 0.5) * wgt;
      sy += (Math.floor(i / w) + 0.5) * wgt;
      sw += wgt;
    }
    const p = mirrorPoint(truth.centerMm, truth.radiusMm, geometry.leds[k].positionMm, geometry.camera.positionMm);
    const [px, py] = projectPoint(r.camera, p);
    const err = Math.hypot(sx / sw - px, sy / sw - py);
    t.ok(err < 1.0, `LED ${k}: highlight at (${(sx / sw).toFixed(2)}, ${(sy / sw).toFixed(2)}) px, mirror predicts (${px.toFixed(2)}, ${py.toFixed(2)}): ${err.toFixed(2)} px`);
  }
});
