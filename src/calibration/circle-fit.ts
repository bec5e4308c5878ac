import { createError } from '../core/errors.ts';

/** A circle in image coordinates (px). */
export interface Circle {
  cxPx: number;
  cyPx: number;
  radiusPx: number;
}

/** A robust circle fit with its quality figures. */
export interface CircleFit extends Circle {
  /** RMS geometric residual of the inliers, px. */
  rmsResidualPx: number;
  /** Largest absolute geometric residual among the inliers, px. */
  maxResidualPx: number;
  inliers: number;
  outliers: number;
  /** Per point: true when the point was kept. */
  inlierMask: Uint8Array;
}

/** Solve a 3×3 linear system (row-major) by Gaussian elimination with partial pivoting; undefined if singular. */
export function solve3(a: number[], b: number[]): [number, number, number] | undefined {
  const m = [a.slice(0, 3).concat(b[0]), a.slice(3, 6).concat(b[1]), a.slice(6, 9).concat(b[2])];
  const scale = Math.max(...a.map(Math.abs), 1e-300);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) < scale * 1e-13) return undefined;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c < 4; c++) m[r][c] -= f * m[col][c];
    }
  }
  return [m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]];
}

/**
 * Algebraic (Kåsa) circle fit to points (px): least squares on x²+y²+Dx+Ey+F = 0, on centred and
 * scaled coordinates for conditioning. Unbiased enough for a full contour; the geometric fit refines it.
 */
export function algebraicCircleFit(xs: ArrayLike<number>, ys: ArrayLike<number>, use?: Uint8Array): Circle {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < xs.length; i++) {
    if (use && !use[i]) continue;
    mx += xs[i];
    my += ys[i];
    n++;
  }
  if (n < 3) throw createError('GB_VISION_FAILED', `circle fit needs at least 3 points, got ${n}`);
  mx /= n;
  my /= n;
  let s = 0;
  for (let i = 0; i < xs.length; i++) if (!use || use[i]) s += Math.hypot(xs[i] - mx, ys[i] - my);
  s = s / n || 1;
  // Normal equations of [u v 1]·[D E F]ᵀ = −(u²+v²).
  let suu = 0, suv = 0, su = 0, svv = 0, sv = 0, suz = 0, svz = 0, sz = 0;
  for (let i = 0; i < xs.length; i++) {
    if (use && !use[i]) continue;
    const u = (xs[i] - mx) / s;
    const v = (ys[i] - my) / s;
    const z = -(u * u + v * v);
    suu += u * u;
    suv += u * v;
    su += u;
    svv += v * v;
    sv += v;
    suz += u * z;
    svz += v * z;
    sz += z;
  }
  const sol = solve3([suu, suv, su, suv, svv, sv, su, sv, n], [suz, svz, sz]);
  if (!sol) throw createError('GB_VISION_FAILED', 'circle fit: the points are collinear');
  const [d, e, f] = sol;
  const cu = -d / 2;
  const cv = -e / 2;
  const r2 = cu * cu + cv * cv - f;
  if (!(r2 > 0)) throw createError('GB_VISION_FAILED', 'circle fit: the points do not describe a circle');
  return { cxPx: mx + cu * s, cyPx: my + cv * s, radiusPx: Math.sqrt(r2) * s };
}

/** Geometric circle fit (Gauss–Newton on distance-to-circle residuals, px) from a starting circle. */
export function geometricCircleFit(xs: ArrayLike<number>, ys: ArrayLike<number>, start: Circle, use?: Uint8Array, iterations = 30): Circle {
  let { cxPx: a, cyPx: b, radiusPx: r } = start;
  for (let it = 0; it < iterations; it++) {
    // Jacobian rows: [−(x−a)/d, −(y−b)/d, −1] for residual d − r.
    const jtj = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const jtr = [0, 0, 0];
    for (let i = 0; i < xs.length; i++) {
      if (use && !use[i]) continue;
      const dx = xs[i] - a;
      const dy = ys[i] - b;
      const d = Math.hypot(dx, dy) || 1e-12;
      const j0 = -dx / d;
      const j1 = -dy / d;
      const res = d - r;
      jtj[0] += j0 * j0; jtj[1] += j0 * j1; jtj[2] -= j0;
      jtj[4] += j1 * j1; jtj[5] -= j1;
      jtj[8] += 1;
      jtr[0] += j0 * res; jtr[1] += j1 * res; jtr[2] -= res;
    }
    jtj[3] = jtj[1]; jtj[6] = jtj[2]; jtj[7] = jtj[5];
    const step = solve3(jtj, jtr.map((v) => -v));
    if (!step) break;
    a += step[0];
    b += step[1];
    r += step[2];
    if (Math.abs(step[0]) + Math.abs(step[1]) + Math.abs(step[2]) < 1e-9) break;
  }
  return { cxPx: a, cyPx: b, radiusPx: r };
}

/**
 * Robust circle fit (px): algebraic start, geometric refinement, then repeated rejection of points whose
 * residual exceeds `rejectSigmas` robust standard deviations (MAD), never tighter than `minThresholdPx`,
 * refitting on the inliers — so stray mask pixels and notches do not pull the circle.
 */
export function fitCircleRobust(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  options: { rejectSigmas?: number; minThresholdPx?: number; rounds?: number } = {},
): CircleFit {
  const rejectSigmas = options.rejectSigmas ?? 3;
  const minThresholdPx = options.minThresholdPx ?? 0.25;
  const rounds = options.rounds ?? 4;
  const n = xs.length;
  const use = new Uint8Array(n).fill(1);
  let circle = geometricCircleFit(xs, ys, algebraicCircleFit(xs, ys));
  const res = new Float64Array(n);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) res[i] = Math.abs(Math.hypot(xs[i] - circle.cxPx, ys[i] - circle.cyPx) - circle.radiusPx);
    const sorted = Float64Array.from(res).sort();
    const mad = sorted[Math.floor(n / 2)];
    const threshold = Math.max(minThresholdPx, rejectSigmas * 1.4826 * mad);
    let changed = false;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const keep = res[i] <= threshold ? 1 : 0;
      if (keep !== use[i]) changed = true;
      use[i] = keep;
      kept += keep;
    }
    if (kept < 3) throw createError('GB_VISION_FAILED', `circle fit: only ${kept} of ${n} points agree on one circle`);
    circle = geometricCircleFit(xs, ys, circle, use);
    if (!changed) break;
  }
  let sum2 = 0;
  let max = 0;
  let inliers = 0;
  for (let i = 0; i < n; i++) {
    if (!use[i]) continue;
    const r = Math.abs(Math.hypot(xs[i] - circle.cxPx, ys[i] - circle.cyPx) - circle.radiusPx);
    sum2 += r * r;
    max = Math.max(max, r);
    inliers++;
  }
  return { ...circle, rmsResidualPx: Math.sqrt(sum2 / inliers), maxResidualPx: max, inliers, outliers: n - inliers, inlierMask: use };
}
