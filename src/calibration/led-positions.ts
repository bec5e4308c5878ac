import { createError } from '../core/errors.ts';
import { solve3 } from './circle-fit.ts';
import { reflectOffSphere, type Intrinsics, type Vec3 } from './mirror-sphere.ts';

// Near-field LED positions from a mirror sphere seen at two or more placements. Everything is in the
// camera frame (OpenCV: x right, y down, z forward, mm, origin at the pinhole); pixel positions have the
// image's top-left corner at (0, 0) (pixel centres at +0.5). Convert to the booth's world frame with
// cameraToWorld() and the camera pose.

/** A ray in mm: origin and unit direction; weight = 1/σ² of its perpendicular error (1/mm²). */
export interface Ray {
  originMm: Vec3;
  direction: Vec3;
  weight?: number;
}

/** Least-squares closest point to a set of rays, with per-ray perpendicular distances (mm). */
export function closestPointToRays(rays: readonly Ray[], prior?: { pointMm: Vec3; weight: number }): { pointMm: Vec3; residualsMm: number[]; covarianceMm2: number[] } {
  if (rays.length + (prior ? 1 : 0) < 2) throw createError('GB_VISION_FAILED', `triangulation needs at least 2 rays, got ${rays.length}`);
  const a = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0];
  for (const r of rays) {
    const w = r.weight ?? 1;
    const d = r.direction;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        // Projector onto the plane perpendicular to the ray: I − d dᵀ.
        const p = (i === j ? 1 : 0) - d[i] * d[j];
        a[3 * i + j] += w * p;
        b[i] += w * p * r.originMm[j];
      }
    }
  }
  if (prior) {
    for (let i = 0; i < 3; i++) {
      a[4 * i] += prior.weight;
      b[i] += prior.weight * prior.pointMm[i];
    }
  }
  const x = solve3(a, b);
  if (!x) throw createError('GB_VISION_FAILED', 'triangulation is degenerate: the rays are parallel');
  const residualsMm = rays.map((r) => {
    const v: Vec3 = [x[0] - r.originMm[0], x[1] - r.originMm[1], x[2] - r.originMm[2]];
    const t = v[0] * r.direction[0] + v[1] * r.direction[1] + v[2] * r.direction[2];
    return Math.hypot(v[0] - t * r.direction[0], v[1] - t * r.direction[1], v[2] - t * r.direction[2]);
  });
  // Inverse of the normal matrix: the position covariance when the weights are true 1/σ².
  const cov: number[] = new Array(9).fill(0);
  for (let c = 0; c < 3; c++) {
    const e = [0, 0, 0];
    e[c] = 1;
    const col = solve3(a, e) ?? [Infinity, Infinity, Infinity];
    for (let r = 0; r < 3; r++) cov[3 * r + c] = col[r];
  }
  return { pointMm: x, residualsMm, covarianceMm2: cov };
}

/** One placement of the mirror sphere: where it is and where each LED's highlight appeared. */
export interface SpherePlacement {
  /** Sphere centre in the camera frame, mm (e.g. sphereFromOutline(...).centreMm). */
  centreMm: Vec3;
  radiusMm: number;
  /** Highlight centre per LED, px, by LED index; null when that LED's highlight was not found. */
  highlightsPx: ReadonlyArray<readonly [number, number] | null | undefined>;
}

export interface LedTriangulationOptions {
  /** Angular precision of one reflected ray, degrees (sets the relative ray weights; default 0.01°). */
  rayAngleSigmaDeg?: number;
  /**
   * With 3 or more rays, the worst ray is dropped (and the LED refitted) while its distance from the
   * position exceeds this, mm (default 1): one bad highlight must not drag the LED away.
   */
  maxRayResidualMm?: number;
  /** Known nominal geometry (the "sphere plus known geometry" procedure): positions and their σ, mm. */
  prior?: { positionsMm: readonly Vec3[]; sigmaMm: number };
}

/** A triangulated LED with the figures that say how much to trust it. */
export interface LedPositionResult {
  positionMm: Vec3;
  /** Reflected rays used (one per placement where the highlight was seen). */
  rays: number;
  /** Rays dropped as outliers (see maxRayResidualMm). */
  rejectedRays: number;
  /** RMS and largest perpendicular distance from the position to its rays, mm. */
  rmsResidualMm: number;
  maxResidualMm: number;
  /** Largest angle between two of its rays, degrees: small means depth is poorly determined. */
  baselineDeg: number;
  /** 1-σ position uncertainty, √(trace of the covariance), mm, if rays are good to rayAngleSigmaDeg. */
  uncertaintyMm: number;
  /** How far a highlight's camera ray missed the fitted sphere (0 = hit), mm, worst over placements. */
  worstMissMm: number;
}

/**
 * Triangulate LED positions (mm, camera frame) from mirror-sphere highlights at several placements: each
 * highlight's camera ray is intersected with its sphere, reflected about the normal there, and each LED is
 * the weighted least-squares point closest to its reflected rays. Weights are 1/(σθ·range)², so a
 * far-away ray counts less; they are refined once with the first estimate's ranges.
 */
export function triangulateLeds(k: Intrinsics, placements: readonly SpherePlacement[], options: LedTriangulationOptions = {}): LedPositionResult[] {
  if (placements.length < 1) throw createError('GB_BAD_REQUEST', 'need at least one sphere placement');
  const ledCount = Math.max(...placements.map((p) => p.highlightsPx.length));
  const sigmaRad = ((options.rayAngleSigmaDeg ?? 0.01) * Math.PI) / 180;
  const prior = options.prior;
  if (prior && prior.positionsMm.length < ledCount) throw createError('GB_BAD_REQUEST', `prior has ${prior.positionsMm.length} positions for ${ledCount} LEDs`);
  const results: LedPositionResult[] = [];
  for (let led = 0; led < ledCount; led++) {
    const rays: Ray[] = [];
    let worstMissMm = 0;
    for (const p of placements) {
      const h = p.highlightsPx[led];
      if (!h) continue;
      const r = reflectOffSphere(k, h[0], h[1], p.centreMm, p.radiusMm);
      worstMissMm = Math.max(worstMissMm, r.missMm);
      rays.push({ originMm: r.pointMm, direction: r.reflected });
    }
    const priorTerm = prior ? { pointMm: prior.positionsMm[led], weight: 1 / prior.sigmaMm ** 2 } : undefined;
    if (rays.length < (priorTerm ? 1 : 2)) {
      throw createError('GB_VISION_FAILED', `LED ${led}: its highlight was found in ${rays.length} placement(s); need at least ${priorTerm ? 1 : 2}`);
    }
    const maxRes = options.maxRayResidualMm ?? 1;
    let rejectedRays = 0;
    let fit: ReturnType<typeof closestPointToRays>;
    for (;;) {
      // First pass with equal weights at a nominal 250 mm range, then weights from the estimated ranges.
      for (const r of rays) r.weight = 1 / (sigmaRad * 250) ** 2;
      fit = closestPointToRays(rays, priorTerm);
      for (const r of rays) {
        const v = [fit.pointMm[0] - r.originMm[0], fit.pointMm[1] - r.originMm[1], fit.pointMm[2] - r.originMm[2]];
        const range = Math.max(1, v[0] * r.direction[0] + v[1] * r.direction[1] + v[2] * r.direction[2]);
        r.weight = 1 / (sigmaRad * range) ** 2;
      }
      fit = closestPointToRays(rays, priorTerm);
      const worst = fit.residualsMm.indexOf(Math.max(...fit.residualsMm));
      if (rays.length < 3 || fit.residualsMm[worst] <= maxRes) break;
      rays.splice(worst, 1);
      rejectedRays++;
    }
    let baseline = 0;
    for (let i = 0; i < rays.length; i++) {
      for (let j = i + 1; j < rays.length; j++) {
        const c = rays[i].direction[0] * rays[j].direction[0] + rays[i].direction[1] * rays[j].direction[1] + rays[i].direction[2] * rays[j].direction[2];
        baseline = Math.max(baseline, (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI);
      }
    }
    const res = fit.residualsMm;
    results.push({
      positionMm: fit.pointMm,
      rays: rays.length,
      rejectedRays,
      rmsResidualMm: Math.sqrt(res.reduce((s, r) => s + r * r, 0) / res.length),
      maxResidualMm: Math.max(...res),
      baselineDeg: baseline,
      uncertaintyMm: Math.sqrt(Math.max(0, fit.covarianceMm2[0] + fit.covarianceMm2[4] + fit.covarianceMm2[8])),
      worstMissMm,
    });
  }
  return results;
}

/** Camera-frame point (mm) to the world frame, given the world→camera rotation (row-major) and camera position. */
export function cameraToWorld(pointMm: Vec3, rotationWorldToCamera: readonly number[], cameraPositionMm: Vec3): Vec3 {
  const r = rotationWorldToCamera;
  // world = Rᵀ·p + camera position.
  return [
    r[0] * pointMm[0] + r[3] * pointMm[1] + r[6] * pointMm[2] + cameraPositionMm[0],
    r[1] * pointMm[0] + r[4] * pointMm[1] + r[7] * pointMm[2] + cameraPositionMm[1],
    r[2] * pointMm[0] + r[5] * pointMm[1] + r[8] * pointMm[2] + cameraPositionMm[2],
  ];
}

/** Summary figures of a triangulation for a calibration record (mm, degrees). */
export interface LedPositionFigures {
  leds: number;
  meanRmsResidualMm: number;
  maxResidualMm: number;
  /** Largest 1-σ uncertainty over the LEDs, mm (depends on rayAngleSigmaDeg). */
  maxUncertaintyMm: number;
  /** Smallest ray baseline over the LEDs, degrees. */
  minBaselineDeg: number;
  rejectedRays: number;
}

/** Summarise triangulated LEDs into the figures a technician sees and a pass/fail rule can test. */
export function summariseLedPositions(results: readonly LedPositionResult[]): LedPositionFigures {
  return {
    leds: results.length,
    meanRmsResidualMm: results.reduce((s, r) => s + r.rmsResidualMm, 0) / Math.max(1, results.length),
    maxResidualMm: Math.max(0, ...results.map((r) => r.maxResidualMm)),
    maxUncertaintyMm: Math.max(0, ...results.map((r) => r.uncertaintyMm)),
    minBaselineDeg: Math.min(...results.map((r) => r.baselineDeg)),
    rejectedRays: results.reduce((s, r) => s + r.rejectedRays, 0),
  };
}
