import type { Intrinsics } from '../mirror-sphere.ts';
import type { SceneConfig } from '../../geometry/targets.ts';
import { reliefHeightMm } from '../../geometry/targets.ts';
import { angleDeg } from '../../vision/ps.ts';
import { cameraToViewAxes } from '../mirror-sphere.ts';
import { intersectPixel, offsetPlane, type CameraPlane } from './plane.ts';

// Verification on the relief target against its known geometry (calibration/sim-targets.json `relief`:
// a sphere cap and three ramps of known slope on a flat plate). The plate's position and rotation on the
// tray are not known in advance: they are measured from its outline (centroid and principal axis of the
// plate mask on the plate plane), then every pixel has a known normal.

export type ReliefSpec = SceneConfig['relief'];

export interface ReliefPose {
  /** Plate centre on the plate plane, view axes (x right, y up), mm. */
  centreMm: [number, number];
  rotationDeg: number;
}

export interface ReliefVerification {
  pose: ReliefPose;
  normalErrorMeanDeg: number;
  normalErrorMedianDeg: number;
  pixels: number;
  /** Pixels used for the error: inside the plate 2 mm from its edge, away from slope discontinuities. */
  mask: Uint8Array;
  capHeightMm: number;
  capHeightErrorMm: number;
}

/** Object-frame normal of the relief at (u, v) by central differences (h mm). */
function reliefNormal(spec: ReliefSpec, u: number, v: number, h = 0.02): [number, number, number] {
  const hu = (reliefHeightMm(spec, u + h, v) - reliefHeightMm(spec, u - h, v)) / (2 * h);
  const hv = (reliefHeightMm(spec, u, v + h) - reliefHeightMm(spec, u, v - h)) / (2 * h);
  const l = Math.hypot(hu, hv, 1);
  return [-hu / l, -hv / l, 1 / l];
}

/** Plate pose from its mask: centroid and long-axis direction of the mask's points on the plate plane. */
export function reliefPose(k: Intrinsics, plateTop: CameraPlane, plateMask: Uint8Array, width: number, height: number): ReliefPose {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!plateMask[y * width + x]) continue;
      const p = cameraToViewAxes(intersectPixel(k, plateTop, x + 0.5, y + 0.5));
      n++;
      sx += p[0];
      sy += p[1];
      sxx += p[0] * p[0];
      syy += p[1] * p[1];
      sxy += p[0] * p[1];
    }
  }
  const cx = sx / n, cy = sy / n;
  const cxx = sxx / n - cx * cx, cyy = syy / n - cy * cy, cxy = sxy / n - cx * cy;
  // Major axis angle from +x; the plate's long side is its v axis, so rotation = angle − 90°.
  const major = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
  let rot = (major * 180) / Math.PI - 90;
  while (rot < -45) rot += 180;
  while (rot > 45) rot -= 180;
  return { centreMm: [cx, cy], rotationDeg: rot };
}

/**
 * Compare measured normals (view axes, per pixel) with the relief's known normals, and the integrated
 * height of the sphere cap with its known height. `heightPx` is the integrated height in pixel units.
 */
export function verifyRelief(
  k: Intrinsics,
  trayPlane: CameraPlane,
  spec: ReliefSpec,
  normals: Float32Array,
  heightPx: Float32Array,
  plateMask: Uint8Array,
  width: number,
  height: number,
  umPerPx: number,
): ReliefVerification {
  const top = offsetPlane(trayPlane, spec.thicknessMm);
  const pose = reliefPose(k, top, plateMask, width, height);
  const th = (pose.rotationDeg * Math.PI) / 180;
  const c = Math.cos(th), s = Math.sin(th);
  const mask = new Uint8Array(width * height);
  const errors: number[] = [];
  const known = new Float32Array(3);
  const capR2 = 2 * spec.sphereCap.radiusOfCurvatureMm * spec.sphereCap.capHeightMm - spec.sphereCap.capHeightMm ** 2;
  let capTop = 0, capTopN = 0, ring = 0, ringN = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!plateMask[i]) continue;
      const p = cameraToViewAxes(intersectPixel(k, top, x + 0.5, y + 0.5));
      const dx = p[0] - pose.centreMm[0], dy = p[1] - pose.centreMm[1];
      const u = c * dx + s * dy, v = -s * dx + c * dy;
      if (Math.abs(u) > spec.widthMm / 2 - 2 || Math.abs(v) > spec.heightMm / 2 - 2) continue;
      const rc = Math.hypot(u - spec.sphereCap.centerMm[0], v - spec.sphereCap.centerMm[1]);
      if (rc < 1.5) { capTop += heightPx[i]; capTopN++; }
      else if (rc > Math.sqrt(capR2) + 2 && rc < Math.sqrt(capR2) + 4) { ring += heightPx[i]; ringN++; }
      const n0 = reliefNormal(spec, u, v);
      // Skip pixels whose footprint straddles a slope break or a step (edges of ramps and of the cap).
      const r = (1.5 * umPerPx) / 1000;
      let smooth = true;
      for (const [du, dv] of [[r, 0], [-r, 0], [0, r], [0, -r]]) {
        const n1 = reliefNormal(spec, u + du, v + dv);
        if (n0[0] * n1[0] + n0[1] * n1[1] + n0[2] * n1[2] < Math.cos((0.3 * Math.PI) / 180)) smooth = false;
        if (Math.abs(reliefHeightMm(spec, u + du, v + dv) - reliefHeightMm(spec, u, v) - (-(n0[0] * du + n0[1] * dv) / n0[2])) > 0.01) smooth = false;
      }
      if (!smooth) continue;
      known[0] = c * n0[0] - s * n0[1];
      known[1] = s * n0[0] + c * n0[1];
      known[2] = n0[2];
      mask[i] = 1;
      errors.push(angleDeg(normals.subarray(3 * i, 3 * i + 3), known, 0));
    }
  }
  errors.sort((a, b) => a - b);
  const capHeightMm = capTopN && ringN ? ((capTop / capTopN - ring / ringN) * umPerPx) / 1000 : Number.NaN;
  return {
    pose,
    normalErrorMeanDeg: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length),
    normalErrorMedianDeg: errors[errors.length >> 1] ?? Number.NaN,
    pixels: errors.length,
    mask,
    capHeightMm,
    capHeightErrorMm: capHeightMm - spec.sphereCap.capHeightMm,
  };
}
