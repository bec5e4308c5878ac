import t from 'tap';
import { readFileSync } from 'node:fs';
import { closestPointToRays, cameraToWorld, triangulateLeds, type SpherePlacement } from '../../src/calibration/led-positions.ts';
import { worldToCamera } from '../../src/geometry/camera-model.ts';
import { sphereFromOutline, type Intrinsics, type Vec3 } from '../../src/calibration/mirror-sphere.ts';
import { findHighlight } from '../../src/calibration/sphere-image.ts';
import { measureSpherePlacement } from '../../src/calibration/sphere-placement.ts';
import { project, specularPoint } from './led-geometry.ts';
import { renderMirrorSphere } from './synthetic-sphere.ts';

// The simulated booth: camera 300 mm above the tray looking down (world→camera = diag(1, −1, −1)).
const rig = JSON.parse(readFileSync(new URL('../../calibration/sim-rig.json', import.meta.url), 'utf8')) as { leds: Array<{ positionMm: Vec3 }> };
const R = [1, 0, 0, 0, -1, 0, 0, 0, -1];
const camPos: Vec3 = [0, 0, 300];
const ledsCam = rig.leds.map((l) => worldToCamera(l.positionMm, R, camPos));
const full = { fx: 42_000 / 3.45, fy: 42_000 / 3.45, cx: 1500, cy: 2048 };
const kFull: Intrinsics = { fxPx: full.fx, fyPx: full.fy, cxPx: full.cx, cyPx: full.cy };
const sphereR = 12.7;
const placementsWorld: Vec3[] = [[-35, -40, 12.7], [35, -40, 12.7], [0, 40, 12.7], [35, 35, 12.7]];
const dist = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const gauss = (rnd: () => number): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());

/** Exact outline pixels of a sphere (camera frame) under the pinhole model. */
function outline(k: typeof full, c: Vec3, r: number, n = 360): { xs: number[]; ys: number[] } {
  const d = Math.hypot(...c);
  const a: Vec3 = [c[0] / d, c[1] / d, c[2] / d];
  const u0: Vec3 = [a[2], 0, -a[0]];
  const un = Math.hypot(...u0);
  const u: Vec3 = [u0[0] / un, u0[1] / un, u0[2] / un];
  const v: Vec3 = [a[1] * u[2] - a[2] * u[1], a[2] * u[0] - a[0] * u[2], a[0] * u[1] - a[1] * u[0]];
  const s = r / d;
  const co = Math.sqrt(1 - s * s);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = (2 * Math.PI * i) / n;
    const ray: Vec3 = [0, 1, 2].map((j) => co * a[j] + s * (Math.cos(f) * u[j] + Math.sin(f) * v[j])) as Vec3;
    const [x, y] = project(k, ray);
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

t.test('closest point to rays: exact intersection, residuals, degenerate input', async (t) => {
  const p = closestPointToRays([
    { originMm: [0, 0, 0], direction: [1, 0, 0] },
    { originMm: [5, -3, 0], direction: [0, 1, 0] },
  ]);
  t.ok(dist(p.pointMm, [5, 0, 0]) < 1e-12);
  t.ok(Math.max(...p.residualsMm) < 1e-12);
  const skew = closestPointToRays([
    { originMm: [0, 0, 0], direction: [1, 0, 0] },
    { originMm: [0, 0, 2], direction: [0, 1, 0] },
  ]);
  t.ok(dist(skew.pointMm, [0, 0, 1]) < 1e-12, 'midpoint of the common perpendicular');
  t.same(skew.residualsMm.map((r) => Math.round(r * 1e9) / 1e9), [1, 1]);
  t.throws(() => closestPointToRays([{ originMm: [0, 0, 0], direction: [1, 0, 0] }, { originMm: [0, 1, 0], direction: [1, 0, 0] }]), { code: 'GB_VISION_FAILED' });
});

t.test('sphere located from its perspective outline, exactly, even off-axis', async (t) => {
  for (const w of placementsWorld) {
    const c = worldToCamera(w, R, camPos);
    const { xs, ys } = outline(full, c, sphereR);
    const s = sphereFromOutline(kFull, xs, ys, sphereR);
    t.ok(dist(s.centreMm, c) < 1e-6, `centre error ${dist(s.centreMm, c).toExponential(2)} mm at ${w}`);
  }
});

t.test('exact highlights at 4 placements give the exact 24 LED positions', async (t) => {
  const placements: SpherePlacement[] = placementsWorld.map((w) => {
    const c = worldToCamera(w, R, camPos);
    return { centreMm: c, radiusMm: sphereR, highlightsPx: ledsCam.map((l) => project(full, specularPoint(c, sphereR, l))) };
  });
  const got = triangulateLeds(kFull, placements);
  const errors = got.map((g, i) => dist(g.positionMm, ledsCam[i]));
  t.ok(Math.max(...errors) < 1e-6, `max error ${Math.max(...errors).toExponential(2)} mm`);
  t.ok(got.every((g) => g.rays === 4 && g.maxResidualMm < 1e-6 && g.worstMissMm === 0));
  const world = cameraToWorld(got[5].positionMm, R, camPos);
  t.ok(dist(world, rig.leds[5].positionMm) < 1e-6, 'back to world coordinates');
});

t.test('noisy highlights (0.1 px) and outlines (0.1 px): error reported, within 1 mm mean', async (t) => {
  const rnd = lcg(11);
  const placements: SpherePlacement[] = placementsWorld.map((w) => {
    const c = worldToCamera(w, R, camPos);
    const o = outline(full, c, sphereR);
    const located = sphereFromOutline(kFull, o.xs.map((x) => x + 0.1 * gauss(rnd)), o.ys.map((y) => y + 0.1 * gauss(rnd)), sphereR);
    const highlightsPx = ledsCam.map((l) => {
      const [x, y] = project(full, specularPoint(c, sphereR, l));
      return [x + 0.1 * gauss(rnd), y + 0.1 * gauss(rnd)] as [number, number];
    });
    return { centreMm: located.centreMm, radiusMm: sphereR, highlightsPx };
  });
  const got = triangulateLeds(kFull, placements);
  const errors = got.map((g, i) => dist(g.positionMm, ledsCam[i]));
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  t.comment(`LED position error with 0.1 px noise, 4 placements ~70 mm apart: mean ${mean.toFixed(3)} mm, max ${Math.max(...errors).toFixed(3)} mm; mean rms residual ${(got.reduce((s, g) => s + g.rmsResidualMm, 0) / got.length).toFixed(3)} mm`);
  t.ok(mean < 1, `mean ${mean.toFixed(3)} mm`);
  t.ok(got.every((g) => g.rmsResidualMm > 0 && g.baselineDeg > 5), 'residuals and baselines are reported');
});

t.test('a known-geometry prior steadies two close placements', async (t) => {
  const rnd = lcg(5);
  const near: Vec3[] = [[-3, 0, 12.7], [3, 1, 12.7]];
  const placements: SpherePlacement[] = near.map((w) => {
    const c = worldToCamera(w, R, camPos);
    return { centreMm: c, radiusMm: sphereR, highlightsPx: ledsCam.map((l) => {
      const [x, y] = project(full, specularPoint(c, sphereR, l));
      return [x + 0.1 * gauss(rnd), y + 0.1 * gauss(rnd)] as [number, number];
    }) };
  });
  const free = triangulateLeds(kFull, placements);
  const nominal = ledsCam.map((l) => [l[0] + 1.5, l[1] - 1, l[2] + 1] as Vec3);
  const withPrior = triangulateLeds(kFull, placements, { prior: { positionsMm: nominal, sigmaMm: 2 } });
  const e = (r: typeof free): number => r.reduce((s, g, i) => s + dist(g.positionMm, ledsCam[i]), 0) / r.length;
  t.comment(`6 mm baseline: free ${e(free).toFixed(2)} mm (uncertainty ${free[0].uncertaintyMm.toFixed(2)} mm), with a 2 mm prior ${e(withPrior).toFixed(2)} mm`);
  t.ok(e(withPrior) < e(free), 'the prior helps when the baseline is short');
  t.ok(free[0].uncertaintyMm > withPrior[0].uncertaintyMm, 'the reported uncertainty says so too');
});

t.test('full chain on rendered images: mask outline → sphere, highlight centroid → LED within 1 mm', async (t) => {
  // The simulator's 750×1024 camera; each placement is rendered in a 320×320 window around the sphere.
  const k = { fx: full.fx / 4, fy: full.fy / 4, cx: 375, cy: 512 };
  const kk: Intrinsics = { fxPx: k.fx, fyPx: k.fy, cxPx: k.cx, cyPx: k.cy };
  const leds = [0, 5, 10, 18].map((i) => ledsCam[i]);
  const plainPlacements: SpherePlacement[] = [];
  const placements: SpherePlacement[] = placementsWorld.map((w) => {
    const c = worldToCamera(w, R, camPos);
    const [px, py] = project(k, c);
    const x0 = Math.round(px) - 160;
    const y0 = Math.round(py) - 160;
    const win = { fx: k.fx, fy: k.fy, cx: k.cx - x0, cy: k.cy - y0 };
    const base = { width: 320, height: 320, camera: win, centreMm: c, radiusMm: sphereR, sourceSigmaDeg: 3, gain: 4, supersample: 3 };
    const mask = renderMirrorSphere({ ...base, lightDirection: [0, 0, -1] }).mask;
    // The window is the same camera with a shifted principal point: 3D results are unchanged, pixels shift.
    const kWin: Intrinsics = { fxPx: win.fx, fyPx: win.fy, cxPx: win.cx, cyPx: win.cy };
    const images = leds.map((l) => renderMirrorSphere({ ...base, lightPositionMm: l }).image);
    const m = measureSpherePlacement(kWin, mask, images, sphereR);
    t.ok(dist(m.location.centreMm, c) < 0.05, `sphere centre within 0.05 mm (${dist(m.location.centreMm, c).toFixed(4)})`);
    const plain = images.map((image) => {
      const h = findHighlight(image);
      return [h.xPx + x0, h.yPx + y0] as [number, number];
    });
    plainPlacements.push({ centreMm: m.location.centreMm, radiusMm: sphereR, highlightsPx: plain });
    return { ...m.placement, highlightsPx: m.placement.highlightsPx.map((h) => (h ? ([h[0] + x0, h[1] + y0] as const) : null)) };
  });
  const got = triangulateLeds(kk, placements);
  const errors = got.map((g, i) => dist(g.positionMm, leds[i]));
  t.comment(`rendered chain (135 px sphere, 4 placements): errors ${errors.map((e) => e.toFixed(3)).join(' ')} mm`);
  t.ok(Math.max(...errors) < 0.5, `max ${Math.max(...errors).toFixed(3)} mm`);
  // The plain image centroid of a bright highlight is foreshortened towards the sphere centre.
  const plainErrors = triangulateLeds(kk, plainPlacements).map((g, i) => dist(g.positionMm, leds[i]));
  t.comment(`with plain image centroids instead: ${plainErrors.map((e) => e.toFixed(3)).join(' ')} mm`);
  t.ok(Math.max(...plainErrors) > Math.max(...errors), 'the normal-space centroid is the better estimate');
});

t.test('an LED seen in one placement only is a coded error (without a prior)', async (t) => {
  const c = worldToCamera(placementsWorld[0], R, camPos);
  t.throws(() => triangulateLeds(kFull, [{ centreMm: c, radiusMm: sphereR, highlightsPx: [project(full, specularPoint(c, sphereR, ledsCam[0]))] }, { centreMm: c, radiusMm: sphereR, highlightsPx: [null] }]), { code: 'GB_VISION_FAILED', message: /LED 0/ });
});
