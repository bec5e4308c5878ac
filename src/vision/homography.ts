import { createError } from '../core/errors.ts';

/** A 3×3 projective map, row-major: [x', y', w]ᵀ = H [x, y, 1]ᵀ. */
export type Homography = [number, number, number, number, number, number, number, number, number];

/** Solve the 8×8 system of the four-point DLT (h22 = 1) by Gaussian elimination with pivoting. */
export function homographyFromPoints(src: readonly [number, number][], dst: readonly [number, number][]): Homography {
  if (src.length !== 4 || dst.length !== 4) throw createError('GB_VISION_FAILED', 'homography needs exactly 4 point pairs');
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i];
    const [u, v] = dst[i];
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let piv = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-12) throw createError('GB_VISION_FAILED', 'degenerate corner configuration for the homography');
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k < 9; k++) A[r][k] -= f * A[c][k];
    }
  }
  const h = A.map((row, i) => row[8] / row[i]);
  return [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
}

/** Map a point through H. */
export function applyHomography(H: Homography, x: number, y: number): [number, number] {
  const w = H[6] * x + H[7] * y + H[8];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
}

/** Jacobian ∂(x', y')/∂(x, y) of H at (x, y), row-major [dx'/dx, dx'/dy, dy'/dx, dy'/dy]. */
export function homographyJacobian(H: Homography, x: number, y: number): [number, number, number, number] {
  const w = H[6] * x + H[7] * y + H[8];
  const u = (H[0] * x + H[1] * y + H[2]) / w;
  const v = (H[3] * x + H[4] * y + H[5]) / w;
  return [(H[0] - u * H[6]) / w, (H[1] - u * H[7]) / w, (H[3] - v * H[6]) / w, (H[4] - v * H[7]) / w];
}
