import t from 'tap';
import { applyH, fitHomography, intersectPixel, offsetPlane, planeFromHomography } from '../../../src/calibration/run/plane.ts';
import type { Intrinsics, Vec3 } from '../../../src/calibration/mirror-sphere.ts';

const k: Intrinsics = { fxPx: 3043.5, fyPx: 3043.5, cxPx: 375.2, cyPx: 511.7 };
const project = (p: Vec3): [number, number] => [k.fxPx * (p[0] / p[2]) + k.cxPx, k.fyPx * (p[1] / p[2]) + k.cyPx];

t.test('a tilted planar pattern: homography from many points, plane pose back from it', async (t) => {
  // Pattern axes r1, r2 (y up in the pattern = −y in the camera), tilted 3° about x, origin 299 mm away.
  const a = (3 * Math.PI) / 180;
  const r1: Vec3 = [1, 0, 0];
  const r2: Vec3 = [0, -Math.cos(a), Math.sin(a)];
  const origin: Vec3 = [2.5, -1.2, 299];
  const src: Array<[number, number]> = [];
  const dst: Array<[number, number]> = [];
  for (let j = -10; j <= 10; j++) for (let i = -8; i <= 8; i++) {
    const X = 2 * i, Y = 2 * j;
    const p: Vec3 = [origin[0] + X * r1[0] + Y * r2[0], origin[1] + X * r1[1] + Y * r2[1], origin[2] + X * r1[2] + Y * r2[2]];
    src.push([X, Y]);
    dst.push(project(p));
  }
  const H = fitHomography(src, dst);
  const worst = Math.max(...src.map((s, n) => { const [x, y] = applyH(H, s[0], s[1]); return Math.hypot(x - dst[n][0], y - dst[n][1]); }));
  t.ok(worst < 1e-6, `homography reproduces the points (${worst.toExponential(2)} px)`);
  const plane = planeFromHomography(k, H);
  const n: Vec3 = [0, -Math.sin(a), -Math.cos(a)]; // r1 × r2, towards the camera
  const angle = (Math.acos(Math.min(1, plane.normal[0] * n[0] + plane.normal[1] * n[1] + plane.normal[2] * n[2])) * 180) / Math.PI;
  t.ok(angle < 1e-4, `normal recovered (${angle.toExponential(2)}°)`);
  t.ok(Math.hypot(plane.pointMm[0] - origin[0], plane.pointMm[1] - origin[1], plane.pointMm[2] - origin[2]) < 1e-6, 'pattern origin recovered');
  // A pixel's ray meets the plane at the point it was projected from.
  const p: Vec3 = [origin[0] + 7 * r1[0] - 9 * r2[0], origin[1] - 9 * r2[1], origin[2] - 9 * r2[2]];
  const [u, v] = project(p);
  const q = intersectPixel(k, plane, u, v);
  t.ok(Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]) < 1e-6, 'ray–plane intersection');
  // Offsetting towards the camera shortens the distance along the normal.
  const up = offsetPlane(plane, 1);
  t.ok(Math.abs(up.pointMm[2] - (plane.pointMm[2] - Math.cos(a))) < 1e-9, 'offset moves 1 mm along the normal');
});
