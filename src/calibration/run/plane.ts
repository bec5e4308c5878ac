import { createError } from '../../core/errors.ts';
import { pixelRay, type Intrinsics, type Vec3 } from '../mirror-sphere.ts';
import { solve3 } from '../circle-fit.ts';

// Planes in the camera frame (OpenCV: x right, y down, z forward, mm) and the least-squares homography
// that gives a plane's pose from a known planar pattern.

/** A plane in the camera frame: a point on it and its unit normal pointing towards the camera. */
export interface CameraPlane {
  pointMm: Vec3;
  normal: Vec3;
}

/** The same plane moved `offsetMm` towards the camera (e.g. from the tray to a card's top). */
export function offsetPlane(plane: CameraPlane, offsetMm: number): CameraPlane {
  const [nx, ny, nz] = plane.normal;
  return { pointMm: [plane.pointMm[0] + nx * offsetMm, plane.pointMm[1] + ny * offsetMm, plane.pointMm[2] + nz * offsetMm], normal: plane.normal };
}

/** Where the ray through pixel (xPx, yPx) (pixel centres at +0.5) meets the plane, camera frame mm. */
export function intersectPixel(k: Intrinsics, plane: CameraPlane, xPx: number, yPx: number): Vec3 {
  const d = pixelRay(k, xPx, yPx);
  const n = plane.normal;
  const t = (plane.pointMm[0] * n[0] + plane.pointMm[1] * n[1] + plane.pointMm[2] * n[2]) / (d[0] * n[0] + d[1] * n[1] + d[2] * n[2]);
  return [d[0] * t, d[1] * t, d[2] * t];
}

/** Least-squares homography (h22 = 1, Hartley-normalised) mapping src → dst; ≥ 4 pairs. */
export function fitHomography(src: ReadonlyArray<readonly [number, number]>, dst: ReadonlyArray<readonly [number, number]>): number[] {
  const n = src.length;
  if (n < 4) throw createError('GB_VISION_FAILED', `homography needs at least 4 points, got ${n}`);
  const norm = (pts: ReadonlyArray<readonly [number, number]>): { T: number[]; p: Array<[number, number]> } => {
    let mx = 0, my = 0;
    for (const [x, y] of pts) { mx += x / n; my += y / n; }
    let d = 0;
    for (const [x, y] of pts) d += Math.hypot(x - mx, y - my) / n;
    const s = Math.SQRT2 / (d || 1);
    return { T: [s, 0, -s * mx, 0, s, -s * my, 0, 0, 1], p: pts.map(([x, y]) => [s * (x - mx), s * (y - my)]) };
  };
  const a = norm(src);
  const b = norm(dst);
  const ata = new Float64Array(64);
  const atb = new Float64Array(8);
  const add = (row: number[], rhs: number): void => {
    for (let i = 0; i < 8; i++) {
      atb[i] += row[i] * rhs;
      for (let j = 0; j < 8; j++) ata[8 * i + j] += row[i] * row[j];
    }
  };
  for (let i = 0; i < n; i++) {
    const [x, y] = a.p[i];
    const [u, v] = b.p[i];
    add([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    add([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solveDense(Array.from(ata), Array.from(atb), 8);
  if (!h) throw createError('GB_VISION_FAILED', 'homography fit is degenerate');
  const Hn = [...h, 1];
  // H = Tb⁻¹ · Hn · Ta
  const TbInv = invert3x3(b.T);
  const H = mul3(mul3(TbInv, Hn), a.T);
  return H.map((v) => v / H[8]);
}

/** Apply a row-major 3×3 homography to a point. */
export function applyH(H: readonly number[], x: number, y: number): [number, number] {
  const w = H[6] * x + H[7] * y + H[8];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
}

/**
 * Pose of a planar pattern from its homography (pattern mm → px) and the intrinsics: M = K⁻¹H = λ[r1 r2 t].
 * Returns the plane (its origin and normal towards the camera) in the camera frame.
 */
export function planeFromHomography(k: Intrinsics, H: readonly number[]): CameraPlane {
  const Kinv = [1 / k.fxPx, 0, -k.cxPx / k.fxPx, 0, 1 / k.fyPx, -k.cyPx / k.fyPx, 0, 0, 1];
  const M = mul3(Kinv, [...H]);
  const c1: Vec3 = [M[0], M[3], M[6]];
  const c2: Vec3 = [M[1], M[4], M[7]];
  const c3: Vec3 = [M[2], M[5], M[8]];
  let lambda = 2 / (Math.hypot(...c1) + Math.hypot(...c2));
  if (c3[2] * lambda < 0) lambda = -lambda; // the pattern is in front of the camera
  const r1 = c1.map((v) => v * lambda) as Vec3;
  const r2 = c2.map((v) => v * lambda) as Vec3;
  const t = c3.map((v) => v * lambda) as Vec3;
  let nrm: Vec3 = [r1[1] * r2[2] - r1[2] * r2[1], r1[2] * r2[0] - r1[0] * r2[2], r1[0] * r2[1] - r1[1] * r2[0]];
  const len = Math.hypot(...nrm);
  nrm = nrm.map((v) => v / len) as Vec3;
  if (nrm[0] * t[0] + nrm[1] * t[1] + nrm[2] * t[2] > 0) nrm = nrm.map((v) => -v) as Vec3;
  return { pointMm: t, normal: nrm };
}

function mul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return out;
}

function invert3x3(m: readonly number[]): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const e = [0, 0, 0];
    e[c] = 1;
    const col = solve3([...m], e);
    if (!col) throw createError('GB_VISION_FAILED', 'singular 3×3 matrix');
    out.push(...col);
  }
  // out holds columns; transpose to row-major
  return [out[0], out[3], out[6], out[1], out[4], out[7], out[2], out[5], out[8]];
}

/** Gaussian elimination with partial pivoting on an n×n row-major system. */
function solveDense(a: number[], b: number[], n: number): number[] | undefined {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    if (Math.abs(a[p * n + c]) < 1e-12) return undefined;
    if (p !== c) {
      for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j], a[c * n + j]];
      [b[c], b[p]] = [b[p], b[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / a[c * n + c];
      for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
      b[r] -= f * b[c];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= a[r * n + j] * x[j];
    x[r] = s / a[r * n + r];
  }
  return x;
}
