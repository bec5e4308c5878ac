import { createError } from '../core/errors.ts';

/** A fitted low-order surface: coefficients of the monomials xᵃyᵇ (a+b ≤ degree) in normalised coords. */
export interface WarpFit {
  degree: number;
  coefficients: number[];
  /** RMS of the height left after removing the fit, over the mask (input units). */
  residualRms: number;
}

function monomials(degree: number): [number, number][] {
  const out: [number, number][] = [];
  for (let d = 0; d <= degree; d++) for (let a = d; a >= 0; a--) out.push([a, d - a]);
  return out;
}

/** Solve the small dense system M c = v (Gaussian elimination with partial pivoting). */
function solveDense(M: number[][], v: number[]): number[] | undefined {
  const k = v.length;
  const A = M.map((row, i) => [...row, v[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-12) return undefined;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = c + 1; r < k; r++) {
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= k; j++) A[r][j] -= f * A[c][j];
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = A[r][k];
    for (let j = r + 1; j < k; j++) s -= A[r][j] * x[j];
    x[r] = s / A[r][r];
  }
  return x;
}

/**
 * Remove the card's warp: fit a polynomial of `degree` (default 2) to the height over the mask, robustly
 * (Tukey biweight on a subsample, so dents and creases do not pull the fit), and subtract it in place
 * inside the mask. Local relief (dents, creases) stays.
 */
export function removeWarp(heightMap: Float32Array, width: number, height: number, mask?: Uint8Array, degree = 2): WarpFit {
  if (heightMap.length !== width * height) throw createError('GB_IMAGE_INVALID', `height: expected ${width * height} values, got ${heightMap.length}`);
  const terms = monomials(degree);
  const k = terms.length;
  // Subsample to ≤ ~40k points: the warp is smooth, and this keeps the fit fast at 12 MP.
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 40_000)));
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const i = y * width + x;
      if (mask && !mask[i]) continue;
      xs.push((2 * x) / (width - 1 || 1) - 1);
      ys.push((2 * y) / (height - 1 || 1) - 1);
      zs.push(heightMap[i]);
    }
  }
  if (xs.length < k) throw createError('GB_VISION_FAILED', `warp fit needs at least ${k} mask pixels, got ${xs.length}`);
  const basis = (x: number, y: number): number[] => terms.map(([a, b]) => x ** a * y ** b);
  const rows = xs.map((x, i) => basis(x, ys[i]));
  const weights = new Float64Array(xs.length).fill(1);
  let coef = new Array<number>(k).fill(0);
  for (let iter = 0; iter < 8; iter++) {
    const M = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const v = new Array<number>(k).fill(0);
    for (let p = 0; p < rows.length; p++) {
      const w = weights[p];
      if (w === 0) continue;
      const r = rows[p];
      for (let a = 0; a < k; a++) {
        v[a] += w * r[a] * zs[p];
        for (let b = a; b < k; b++) M[a][b] += w * r[a] * r[b];
      }
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) M[a][b] = M[b][a];
    const c = solveDense(M, v);
    if (!c) break;
    coef = c;
    const res = rows.map((r, p) => zs[p] - r.reduce((s, t, j) => s + t * coef[j], 0));
    const abs = Float64Array.from(res, Math.abs).sort();
    const mad = abs[abs.length >> 1] * 1.4826;
    if (!(mad > 0)) break;
    const cut = 4.685 * mad;
    for (let p = 0; p < res.length; p++) {
      const u = res[p] / cut;
      weights[p] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  let ss = 0;
  let cnt = 0;
  for (let y = 0; y < height; y++) {
    const yn = (2 * y) / (height - 1 || 1) - 1;
    // Collapse to a polynomial in x for this row, evaluated by Horner (no pow per pixel).
    const cx = new Array<number>(degree + 1).fill(0);
    for (let j = 0; j < k; j++) cx[terms[j][0]] += coef[j] * yn ** terms[j][1];
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask && !mask[i]) continue;
      const xn = (2 * x) / (width - 1 || 1) - 1;
      let f = 0;
      for (let a = degree; a >= 0; a--) f = f * xn + cx[a];
      heightMap[i] -= f;
      ss += heightMap[i] * heightMap[i];
      cnt++;
    }
  }
  return { degree, coefficients: coef, residualRms: cnt ? Math.sqrt(ss / cnt) : 0 };
}
