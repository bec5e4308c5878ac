import type { CameraSpec, Vec3 } from './booth-geometry.ts';

/**
 * A pinhole camera in the OpenCV convention (camera x right, y down, z forward) placed in the world frame.
 * `rotation` is world→camera (row-major 3×3); pixel centres are at integer + 0.5.
 */
export interface PinholeCamera {
  widthPx: number;
  heightPx: number;
  fxPx: number;
  fyPx: number;
  cxPx: number;
  cyPx: number;
  positionMm: Vec3;
  rotation: number[];
  k1: number;
  k2: number;
  naturalVignetting: boolean;
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Build the pinhole model (intrinsics in px, pose from position/look-at/up) from its spec. */
export function pinholeFromSpec(spec: CameraSpec): PinholeCamera {
  const f = (spec.focalLengthMm * 1000) / spec.pixelPitchUm;
  const forward = normalize([spec.lookAtMm[0] - spec.positionMm[0], spec.lookAtMm[1] - spec.positionMm[1], spec.lookAtMm[2] - spec.positionMm[2]]);
  // Image rows run down, so camera y is the opposite of the up hint projected off the forward axis.
  const right = normalize(cross(forward, spec.upHint));
  const down = cross(forward, right);
  return {
    widthPx: spec.widthPx,
    heightPx: spec.heightPx,
    fxPx: f,
    fyPx: f,
    cxPx: spec.principalPointPx[0],
    cyPx: spec.principalPointPx[1],
    positionMm: spec.positionMm,
    rotation: [...right, ...down, ...forward],
    k1: spec.radialDistortion[0],
    k2: spec.radialDistortion[1],
    naturalVignetting: spec.naturalVignetting,
  };
}

/** Project a world point (mm) to pixel coordinates (x right, y down; pixel centres at +0.5). */
export function projectPoint(cam: PinholeCamera, p: Vec3): [number, number] {
  const r = cam.rotation;
  const dx = p[0] - cam.positionMm[0];
  const dy = p[1] - cam.positionMm[1];
  const dz = p[2] - cam.positionMm[2];
  const xc = r[0] * dx + r[1] * dy + r[2] * dz;
  const yc = r[3] * dx + r[4] * dy + r[5] * dz;
  const zc = r[6] * dx + r[7] * dy + r[8] * dz;
  let xn = xc / zc;
  let yn = yc / zc;
  const r2 = xn * xn + yn * yn;
  const d = 1 + cam.k1 * r2 + cam.k2 * r2 * r2;
  xn *= d;
  yn *= d;
  return [cam.fxPx * xn + cam.cxPx, cam.fyPx * yn + cam.cyPx];
}

/** Undistorted normalised coordinates of a pixel position (fixed-point inversion of the radial model). */
export function undistortNormalized(cam: PinholeCamera, px: number, py: number): [number, number] {
  const xd = (px - cam.cxPx) / cam.fxPx;
  const yd = (py - cam.cyPx) / cam.fyPx;
  if (cam.k1 === 0 && cam.k2 === 0) return [xd, yd];
  let x = xd;
  let y = yd;
  for (let i = 0; i < 8; i++) {
    const r2 = x * x + y * y;
    const d = 1 + cam.k1 * r2 + cam.k2 * r2 * r2;
    x = xd / d;
    y = yd / d;
  }
  return [x, y];
}

/** Unit ray direction in the world frame through pixel position (px, py). */
export function pixelRay(cam: PinholeCamera, px: number, py: number): Vec3 {
  const [xn, yn] = undistortNormalized(cam, px, py);
  const r = cam.rotation;
  const wx = r[0] * xn + r[3] * yn + r[6];
  const wy = r[1] * xn + r[4] * yn + r[7];
  const wz = r[2] * xn + r[5] * yn + r[8];
  const n = Math.hypot(wx, wy, wz);
  return [wx / n, wy / n, wz / n];
}

/** Size on the tray plane (z = 0) of one pixel at the image centre, µm. */
export function footprintUmAtCentre(cam: PinholeCamera): number {
  const height = Math.abs(cam.positionMm[2]);
  return (height / cam.fxPx) * 1000;
}

/** World point (mm) to the camera frame: R·(p − camera position). */
export function worldToCamera(pointMm: Vec3, rotationWorldToCamera: readonly number[], cameraPositionMm: Vec3): Vec3 {
  const r = rotationWorldToCamera;
  const d = [pointMm[0] - cameraPositionMm[0], pointMm[1] - cameraPositionMm[1], pointMm[2] - cameraPositionMm[2]];
  return [r[0] * d[0] + r[1] * d[1] + r[2] * d[2], r[3] * d[0] + r[4] * d[1] + r[5] * d[2], r[6] * d[0] + r[7] * d[1] + r[8] * d[2]];
}
