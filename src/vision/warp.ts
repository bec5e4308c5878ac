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
 * inside the mask. Local relief (dents, creases) stays. `scale` then multiplies the whole map (e.g. px → µm,
 * folded into the same pass); the returned coefficients and RMS are in the scaled units.
 */
export function removeWarp(heightMap: Float32Array, width: number, height: number, mask?: Uint8Array, degree = 2, scale = 1): WarpFit {
  if (heightMap.length !== width * height) throw createError('GB_IMAGE_INVALID', `height: expected ${width * height} values, got ${heightMap.length}`);
  const terms = monomials(degree);
  const k = terms.length;
  // Subsample to ≤ ~20k points: the warp is smooth, and this keeps the robust fit to a few ms at 12 MP.
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 20_000)));
  const zsList: number[] = [];
  const rowList: number[] = [];
  for (let y = 0; y < height; y += step) {
    const yn = (2 * y) / (height - 1 || 1) - 1;
    for (let x = 0; x < width; x += step) {
      const i = y * width + x;
      if (mask && !mask[i]) continue;
      const xn = (2 * x) / (width - 1 || 1) - 1;
      for (const [a, b] of terms) rowList.push(xn ** a * yn ** b);
      zsList.push(heightMap[i]);
    }
  }
  const count = zsList.length;
  if (count < k) throw createError('GB_VISION_FAILED', `warp fit needs at least ${k} mask pixels, got ${count}`);
  const rows = Float64Array.from(rowList);
  const zs = Float64Array.from(zsList);
  const weights = new Float64Array(count).fill(1);
  const res = new Float64Array(count);
  const abs = new Float64Array(count);
  let coef = new Array<number>(k).fill(0);
  for (let iter = 0; iter < 6; iter++) {
    const M = new Float64Array(k * k);
    const v = new Float64Array(k);
    for (let p = 0; p < count; p++) {
      const w = weights[p];
      if (w === 0) continue;
      const o = p * k;
      for (let a = 0; a < k; a++) {
        const wa = w * rows[o + a];
        v[a] += wa * zs[p];
        for (let b = a; b < k; b++) M[a * k + b] += wa * rows[o + b];
      }
    }
    const Mrows: number[][] = [];
    for (let a = 0; a < k; a++) Mrows.push(Array.from({ length: k }, (_, b) => (b >= a ? M[a * k + b] : M[b * k + a])));
    const c = solveDense(Mrows, Array.from(v));
    if (!c) break;
    coef = c;
    for (let p = 0; p < count; p++) {
      let f = 0;
      for (let j = 0; j < k; j++) f += rows[p * k + j] * coef[j];
      res[p] = zs[p] - f;
      abs[p] = Math.abs(res[p]);
    }
    abs.sort();
    const mad = abs[count >> 1] * 1.4826;
    if (!(mad > 0)) break;
    const cut = 4.685 * mad;
    for (let p = 0; p < count; p++) {
      const u = res[p] / cut;
      weights[p] = Math.abs(u) < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  let ss = 0;
  let cnt = 0;
  const xs = new Float64Array(width);
  for (let x = 0; x < width; x++) xs[x] = (2 * x) / (width - 1 || 1) - 1;
  const cx = new Float64Array(degree + 1);
  for (let y = 0; y < height; y++) {
    const yn = (2 * y) / (height - 1 || 1) - 1;
    // Collapse to a polynomial in x for this row, evaluated by Horner (no pow per pixel).
    cx.fill(0);
    for (let j = 0; j < k; j++) cx[terms[j][0]] += coef[j] * yn ** terms[j][1];
    const row = y * width;
    // Up to degree 2 (the default) the row polynomial is three locals: no inner loop per pixel.
    const c0 = cx[0], c1 = degree >= 1 ? cx[1] : 0, c2 = degree >= 2 ? cx[2] : 0;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (mask !== undefined && mask[i] === 0) {
        heightMap[i] *= scale;
        continue;
      }
      const xn = xs[x];
      let f: number;
      if (degree <= 2) f = c0 + xn * (c1 + xn * c2);
      else {
        f = 0;
        for (let a = degree; a >= 0; a--) f = f * xn + cx[a];
      }
      const v = (heightMap[i] - f) * scale;
      heightMap[i] = v;
      ss += v * v;
      cnt++;
    }
  }
  return { degree, coefficients: coef.map((c) => c * scale), residualRms: cnt ? Math.sqrt(ss / cnt) : 0 };
}
