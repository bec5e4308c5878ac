import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';
import { fitCircleRobust, solve3, type Circle, type CircleFit } from './circle-fit.ts';
import { findHighlight, maskBoundaryPoints, type Highlight } from './sphere-image.ts';
import { cameraToViewAxes, normalSpaceCentroid, reflectOffSphere, sphereFromOutline, type Intrinsics, type SphereLocation } from './mirror-sphere.ts';

/** A unit 3-vector (x right, y up, z towards the camera). */
export type Direction = [number, number, number];

/**
 * Distant light direction from a mirror-sphere highlight under an orthographic camera: the normal at the
 * highlight is ((x−cx)/r, −(y−cy)/r, nz) — image y runs down, ours up — and the light is the view vector
 * V = (0, 0, 1) reflected about it, L = 2(N·V)N − V. Highlights just outside the fitted rim (blooming)
 * are pulled onto the rim.
 */
export function lightFromHighlight(circle: Circle, xPx: number, yPx: number): { direction: Direction; normal: Direction; radiusFraction: number } {
  let nx = (xPx - circle.cxPx) / circle.radiusPx;
  let ny = -(yPx - circle.cyPx) / circle.radiusPx;
  const rho = Math.hypot(nx, ny);
  if (rho > 1) {
    nx /= rho;
    ny /= rho;
  }
  const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
  const direction: Direction = [2 * nz * nx, 2 * nz * ny, 2 * nz * nz - 1];
  const len = Math.hypot(...direction);
  return {
    direction: [direction[0] / len, direction[1] / len, direction[2] / len],
    normal: [nx, ny, nz],
    radiusFraction: rho,
  };
}

/** Orthographic counterpart of normalSpaceCentroid: weighted mean sphere normal under a blob, as a pixel. */
export function orthographicNormalCentroid(circle: Circle, xsPx: ArrayLike<number>, ysPx: ArrayLike<number>, weights: ArrayLike<number>): [number, number] | undefined {
  let sx = 0;
  let sy = 0;
  let sz = 0;
  for (let i = 0; i < xsPx.length; i++) {
    const nx = (xsPx[i] - circle.cxPx) / circle.radiusPx;
    const ny = (ysPx[i] - circle.cyPx) / circle.radiusPx;
    const q = 1 - nx * nx - ny * ny;
    if (q < 0) continue;
    sx += weights[i] * nx;
    sy += weights[i] * ny;
    sz += weights[i] * Math.sqrt(q);
  }
  const len = Math.hypot(sx, sy, sz);
  if (!(len > 0)) return undefined;
  return [circle.cxPx + (circle.radiusPx * sx) / len, circle.cyPx + (circle.radiusPx * sy) / len];
}

/** Angle between two directions, degrees. */
export function angleBetweenDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const n = Math.hypot(a[0], a[1], a[2]) * Math.hypot(b[0], b[1], b[2]);
  return (Math.acos(Math.min(1, Math.max(-1, dot / n))) * 180) / Math.PI;
}

/** Sphere outline fitted to a mask's sub-pixel boundary (px), with outlier rejection. */
export function fitSphereOutline(mask: FloatImage): CircleFit & { boundary: { xs: Float64Array; ys: Float64Array } } {
  const boundary = maskBoundaryPoints(mask);
  if (boundary.xs.length < 12) throw createError('GB_VISION_FAILED', `sphere mask has only ${boundary.xs.length} boundary points; expected a filled disc`);
  return { ...fitCircleRobust(boundary.xs, boundary.ys), boundary };
}

/** One calibrated light with the figures that say how far to trust it. */
export interface DistantLightResult {
  direction: Direction;
  highlight: Highlight;
  /** Distance of the highlight from the sphere centre over the radius (near 1 = grazing, less precise). */
  radiusFraction: number;
}

export interface DistantLightOptions {
  /** Highlight threshold as a fraction of the image's peak inside the sphere (default 0.5). */
  highlightFraction?: number;
  /**
   * Pinhole intrinsics (px) of the camera that took the images. With them the view vector is the real
   * camera ray at each highlight and the sphere is located under perspective; without them the camera is
   * taken as orthographic (view vector (0, 0, 1) everywhere), which is right for a far-away camera only.
   */
  intrinsics?: Intrinsics;
}

/** The sphere as fitted: the image circle always, and under perspective also its camera-frame location. */
export interface FittedSphere {
  circle: CircleFit;
  /** Present with intrinsics; the radius is 1 (directions do not depend on the sphere's true size). */
  location?: SphereLocation;
}

/** A sphere fitted once, ready to turn mirror-sphere images into light directions one at a time. */
export interface DistantLightCalibrator {
  sphere: FittedSphere;
  /** Direction and figures for one image (same size as the mask); `index` only labels errors. */
  measure(image: FloatImage, index?: number): DistantLightResult;
}

/**
 * Fit the sphere from its mask and return a calibrator that measures images one by one, so a caller can
 * read, measure and drop each full-size frame instead of holding them all.
 */
export function prepareDistantLights(mask: FloatImage, options: DistantLightOptions = {}): DistantLightCalibrator {
  const { boundary, ...circle } = fitSphereOutline(mask);
  const k = options.intrinsics;
  // Under perspective only the ratio of radius to distance matters, so a unit sphere stands in for it.
  const location = k ? sphereFromOutline(k, boundary.xs, boundary.ys, 1) : undefined;
  return {
    sphere: { circle, location },
    measure(img, i = 0) {
      if (img.width !== mask.width || img.height !== mask.height) {
        throw createError('GB_DATASET_INVALID', `image ${i + 1} is ${img.width}×${img.height} but the mask is ${mask.width}×${mask.height}`);
      }
      const highlight = findHighlight(img, { ...circle, radiusPx: circle.radiusPx + 1 }, options.highlightFraction ?? 0.5, true);
      // Centre the highlight in normal space (see normalSpaceCentroid): unbiased for a large clipped blob.
      const px = highlight.pixels as NonNullable<Highlight['pixels']>;
      delete highlight.pixels;
      const refined = k && location ? normalSpaceCentroid(k, location.centreMm, 1, px.xs, px.ys, px.weights) : orthographicNormalCentroid(circle, px.xs, px.ys, px.weights);
      if (refined) [highlight.xPx, highlight.yPx] = refined;
      const ortho = lightFromHighlight(circle, highlight.xPx, highlight.yPx);
      const direction = k && location ? cameraToViewAxes(reflectOffSphere(k, highlight.xPx, highlight.yPx, location.centreMm, 1).reflected) : ortho.direction;
      return { direction, highlight, radiusFraction: ortho.radiusFraction };
    },
  };
}

/** Calibrate distant lights: fit the sphere once, then one direction per mirror-sphere image. */
export function calibrateDistantLights(
  mask: FloatImage,
  images: readonly FloatImage[],
  options: DistantLightOptions = {},
  onImage?: (index: number) => void,
): { sphere: FittedSphere; lights: DistantLightResult[] } {
  const calibrator = prepareDistantLights(mask, options);
  const lights = images.map((img, i) => {
    const r = calibrator.measure(img, i);
    onImage?.(i);
    return r;
  });
  return { sphere: calibrator.sphere, lights };
}

/** The orthographic sphere outline that a set of reference directions implies for measured highlights. */
export interface ImpliedSphere {
  cxPx: number;
  cyPx: number;
  radiusPx: number;
  /** Per light: measured highlight minus where the reference direction puts it on this circle (px). */
  residualsPx: Array<[number, number]>;
  rmsResidualPx: number;
}

/**
 * Which sphere would make reference directions agree with our highlights? Under an orthographic camera a
 * direction L puts its highlight at centre + r·(nx, −ny), n = (L + V)/|L + V|, so centre and radius follow
 * from a linear least-squares fit over all lights. If this circle matches the fitted outline, a
 * disagreement with the reference lies in the highlights; if it does not (with small residuals), the
 * reference was computed with a different sphere. A diagnostic for reference files, never a calibration.
 */
export function sphereImpliedByDirections(highlightsPx: ReadonlyArray<readonly [number, number]>, directions: ReadonlyArray<ArrayLike<number>>): ImpliedSphere {
  if (highlightsPx.length !== directions.length || highlightsPx.length < 2) {
    throw createError('GB_DATASET_INVALID', `need the same number (≥ 2) of highlights and reference directions, got ${highlightsPx.length} and ${directions.length}`);
  }
  const normals = directions.map((l) => {
    const h = [l[0], l[1], l[2] + 1];
    const n = Math.hypot(h[0], h[1], h[2]);
    if (!(n > 1e-9)) throw createError('GB_DATASET_INVALID', 'a reference direction points straight away from the camera');
    return [h[0] / n, h[1] / n] as const;
  });
  // Normal equations of x = cx + r·nx and y = cy − r·ny in (cx, cy, r).
  const ata = new Array<number>(9).fill(0);
  const atb = [0, 0, 0];
  const add = (row: [number, number, number], rhs: number): void => {
    for (let i = 0; i < 3; i++) {
      atb[i] += row[i] * rhs;
      for (let j = 0; j < 3; j++) ata[3 * i + j] += row[i] * row[j];
    }
  };
  highlightsPx.forEach(([x, y], i) => {
    add([1, 0, normals[i][0]], x);
    add([0, 1, -normals[i][1]], y);
  });
  const s = solve3(ata, atb);
  if (!s) throw createError('GB_VISION_FAILED', 'reference directions do not determine a sphere (all lights alike)');
  const [cxPx, cyPx, radiusPx] = s;
  const residualsPx = highlightsPx.map(([x, y], i): [number, number] => [x - (cxPx + radiusPx * normals[i][0]), y - (cyPx - radiusPx * normals[i][1])]);
  const rmsResidualPx = Math.sqrt(residualsPx.reduce((a, [dx, dy]) => a + dx * dx + dy * dy, 0) / residualsPx.length);
  return { cxPx, cyPx, radiusPx, residualsPx, rmsResidualPx };
}
