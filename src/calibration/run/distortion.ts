import type { Intrinsics } from '../mirror-sphere.ts';
import { applyH, fitHomography } from './plane.ts';

// Radial lens distortion from the dot grid: a flat grid of dots must map to the image by a homography
// under a pinhole camera; what a homography cannot explain and grows with the radius is distortion.
// One coefficient (k1: x_d = x_u·(1 + k1·r_u²), normalised coordinates, the simulator's and OpenCV's
// model) is fitted; k2 matters only for wider lenses than a booth uses.

/** Intrinsics whose rays undo radial distortion k1 (fixed-point inversion of the forward model). */
export function withRadialDistortion(k: Intrinsics, k1: number): Intrinsics {
  const base = { fxPx: k.fxPx, fyPx: k.fyPx, cxPx: k.cxPx, cyPx: k.cyPx };
  if (k1 === 0) return base;
  return {
    ...base,
    toNormalized: (xPx, yPx) => undistort((xPx - k.cxPx) / k.fxPx, (yPx - k.cyPx) / k.fyPx, k1),
  };
}

function undistort(xd: number, yd: number, k1: number): [number, number] {
  let x = xd, y = yd;
  for (let i = 0; i < 8; i++) {
    const d = 1 + k1 * (x * x + y * y);
    x = xd / d;
    y = yd / d;
  }
  return [x, y];
}

/** Pixel positions with distortion k1 removed (still in px, through the same fx, cx). */
export function undistortPixels(k: Intrinsics, px: ReadonlyArray<readonly [number, number]>, k1: number): Array<[number, number]> {
  return px.map(([x, y]) => {
    const [u, v] = undistort((x - k.cxPx) / k.fxPx, (y - k.cyPx) / k.fyPx, k1);
    return [u * k.fxPx + k.cxPx, v * k.fyPx + k.cyPx];
  });
}

/** RMS distance (px) of points from the best homography of the pattern. */
export function homographyRms(pattern: ReadonlyArray<readonly [number, number]>, px: ReadonlyArray<readonly [number, number]>): number {
  const H = fitHomography(pattern, px);
  let s = 0;
  for (let i = 0; i < px.length; i++) {
    const [x, y] = applyH(H, pattern[i][0], pattern[i][1]);
    s += (x - px[i][0]) ** 2 + (y - px[i][1]) ** 2;
  }
  return Math.sqrt(s / px.length);
}

/** Fit k1 by golden-section search on the homography residual; returns k1 and the RMS before/after (px). */
export function fitRadialK1(k: Intrinsics, pattern: ReadonlyArray<readonly [number, number]>, px: ReadonlyArray<readonly [number, number]>, range = 0.5): { k1: number; rmsBeforePx: number; rmsAfterPx: number } {
  const f = (k1: number): number => homographyRms(pattern, undistortPixels(k, px, k1));
  const g = (Math.sqrt(5) - 1) / 2;
  let a = -range, b = range;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  for (let i = 0; i < 60 && b - a > 1e-6; i++) {
    if (fc < fd) {
      b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c);
    } else {
      a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d);
    }
  }
  const k1 = (a + b) / 2;
  return { k1, rmsBeforePx: f(0), rmsAfterPx: f(k1) };
}
