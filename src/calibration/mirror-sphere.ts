import { createError } from '../core/errors.ts';
import { solve3, type Circle } from './circle-fit.ts';
import { cameraToViewAxes, pixelRay, type Intrinsics, type Vec3 } from '../geometry/intrinsics.ts';

// Camera frame here: the OpenCV convention — x right, y down, z forward (into the scene), millimetres,
// origin at the pinhole. Pixel coordinates: x right, y down, with the top-left image corner at (0, 0)
// (pixel centres at +0.5), the same as the fits in sphere-image.ts and the simulator's camera model.

// The camera model lives in geometry/ (the booth and capture I/O use it too); calibration code keeps
// importing it from here alongside the sphere fits.
export type { Intrinsics, Vec3 };
export { cameraToViewAxes, pixelRay };

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (v: Vec3): Vec3 => {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
};

/** A sphere located in the camera frame, with the quality of the outline that located it. */
export interface SphereLocation {
  centreMm: Vec3;
  radiusMm: number;
  /** RMS angular residual of the outline rays about the fitted cone, degrees. */
  rmsResidualDeg: number;
  inliers: number;
  outliers: number;
}

/**
 * Locate a sphere of known radius (mm) from its outline pixels under perspective: the outline rays form a
 * circular cone around the direction of the centre, a·dᵢ = cos θ, with sin θ = R/|C|. Solving w·dᵢ = 1 in
 * least squares gives a = w/|w| and cos θ = 1/|w| exactly for a perfect outline — unlike the centre of an
 * image circle, which is off the centre's projection for a sphere seen off-axis. Outlier rays are dropped.
 */
export function sphereFromOutline(k: Intrinsics, xsPx: ArrayLike<number>, ysPx: ArrayLike<number>, radiusMm: number): SphereLocation {
  const n = xsPx.length;
  if (n < 6) throw createError('GB_VISION_FAILED', `sphere outline needs at least 6 points, got ${n}`);
  if (!(radiusMm > 0)) throw createError('GB_BAD_REQUEST', `sphere radius must be > 0 mm, got ${radiusMm}`);
  const rays = new Array<Vec3>(n);
  for (let i = 0; i < n; i++) rays[i] = pixelRay(k, xsPx[i], ysPx[i]);
  const use = new Uint8Array(n).fill(1);
  let axis: Vec3 = [0, 0, 1];
  let cosT = 1;
  const res = new Float64Array(n);
  for (let round = 0; round < 4; round++) {
    const a = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const b = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      if (!use[i]) continue;
      const d = rays[i];
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) a[3 * r + c] += d[r] * d[c];
        b[r] += d[r];
      }
    }
    const w = solve3(a, b);
    if (!w) throw createError('GB_VISION_FAILED', 'sphere outline is degenerate (all rays on one plane)');
    const len = Math.hypot(w[0], w[1], w[2]);
    axis = [w[0] / len, w[1] / len, w[2] / len];
    cosT = Math.min(1 / len, 1 - 1e-12);
    for (let i = 0; i < n; i++) res[i] = Math.abs(Math.acos(Math.min(1, dot(axis, rays[i]))) - Math.acos(cosT));
    const sorted = Float64Array.from(res).sort();
    const threshold = Math.max(3 * 1.4826 * sorted[n >> 1], 0.25 / k.fxPx);
    let changed = false;
    for (let i = 0; i < n; i++) {
      const keep = res[i] <= threshold ? 1 : 0;
      if (keep !== use[i]) changed = true;
      use[i] = keep;
    }
    if (!changed) break;
  }
  let sum2 = 0;
  let inliers = 0;
  for (let i = 0; i < n; i++) {
    if (!use[i]) continue;
    sum2 += res[i] * res[i];
    inliers++;
  }
  const sinT = Math.sqrt(1 - cosT * cosT);
  const dist = radiusMm / sinT;
  return {
    centreMm: [axis[0] * dist, axis[1] * dist, axis[2] * dist],
    radiusMm,
    rmsResidualDeg: (Math.sqrt(sum2 / Math.max(1, inliers)) * 180) / Math.PI,
    inliers,
    outliers: n - inliers,
  };
}

/** Locate a sphere (mm) from a fitted image circle, by sampling the circle as its outline. */
export function sphereFromCircle(k: Intrinsics, circle: Circle, radiusMm: number, samples = 180): SphereLocation {
  const xs = new Float64Array(samples);
  const ys = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = (2 * Math.PI * i) / samples;
    xs[i] = circle.cxPx + circle.radiusPx * Math.cos(a);
    ys[i] = circle.cyPx + circle.radiusPx * Math.sin(a);
  }
  return sphereFromOutline(k, xs, ys, radiusMm);
}

/** Where a camera ray meets a mirror sphere, and where it goes after the bounce. */
export interface SphereReflection {
  /** Surface point, mm (camera frame). */
  pointMm: Vec3;
  normal: Vec3;
  /** Unit reflected direction, pointing away from the surface towards the light. */
  reflected: Vec3;
  /** How far the ray missed the sphere, mm (0 when it hits; a miss is clamped to the tangent point). */
  missMm: number;
}

/** Reflect the camera ray through a pixel off a sphere (camera frame, mm). */
export function reflectOffSphere(k: Intrinsics, xPx: number, yPx: number, centreMm: Vec3, radiusMm: number): SphereReflection {
  const d = pixelRay(k, xPx, yPx);
  const b = dot(d, centreMm);
  const c2 = dot(centreMm, centreMm) - radiusMm * radiusMm;
  const disc = b * b - c2;
  // A highlight measured just outside the rim (noise, blooming) is taken at the tangent point.
  const t = b - Math.sqrt(Math.max(0, disc));
  const p: Vec3 = [d[0] * t, d[1] * t, d[2] * t];
  const nrm = unit([p[0] - centreMm[0], p[1] - centreMm[1], p[2] - centreMm[2]]);
  const dn = dot(d, nrm);
  const reflected = unit([d[0] - 2 * dn * nrm[0], d[1] - 2 * dn * nrm[1], d[2] - 2 * dn * nrm[2]]);
  // Distance from the centre to the ray, minus the radius: how far outside the rim the ray passed.
  const missMm = disc >= 0 ? 0 : Math.sqrt(dot(centreMm, centreMm) - b * b) - radiusMm;
  return { pointMm: p, normal: nrm, reflected, missMm };
}

/** Pixel position (px) of a camera-frame point; inverts `toNormalized` by Newton steps when it is given. */
export function projectToPixel(k: Intrinsics, pointMm: Vec3): [number, number] {
  const xn = pointMm[0] / pointMm[2];
  const yn = pointMm[1] / pointMm[2];
  let u = k.fxPx * xn + k.cxPx;
  let v = k.fyPx * yn + k.cyPx;
  if (!k.toNormalized) return [u, v];
  for (let i = 0; i < 10; i++) {
    const [x, y] = k.toNormalized(u, v);
    u += (xn - x) * k.fxPx;
    v += (yn - y) * k.fyPx;
  }
  return [u, v];
}

/**
 * Where the specular point really is, from a highlight blob (px, weights) on a located sphere: the
 * weighted mean of the surface normals under the blob, projected back to a pixel. A bright, clipped
 * highlight is symmetric about the true reflection in normal space but foreshortened in the image, so its
 * plain image centroid slides towards the sphere's centre; the normal-space mean does not.
 */
export function normalSpaceCentroid(k: Intrinsics, centreMm: Vec3, radiusMm: number, xsPx: ArrayLike<number>, ysPx: ArrayLike<number>, weights: ArrayLike<number>): [number, number] | undefined {
  let nx = 0;
  let ny = 0;
  let nz = 0;
  for (let i = 0; i < xsPx.length; i++) {
    const d = pixelRay(k, xsPx[i], ysPx[i]);
    const b = dot(d, centreMm);
    const disc = b * b - (dot(centreMm, centreMm) - radiusMm * radiusMm);
    if (disc < 0) continue; // blooming past the rim carries no normal
    const t = b - Math.sqrt(disc);
    const w = weights[i];
    nx += w * (d[0] * t - centreMm[0]);
    ny += w * (d[1] * t - centreMm[1]);
    nz += w * (d[2] * t - centreMm[2]);
  }
  const len = Math.hypot(nx, ny, nz);
  if (!(len > 0)) return undefined;
  const p: Vec3 = [centreMm[0] + (radiusMm * nx) / len, centreMm[1] + (radiusMm * ny) / len, centreMm[2] + (radiusMm * nz) / len];
  return projectToPixel(k, p);
}
