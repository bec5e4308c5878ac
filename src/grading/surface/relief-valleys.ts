import { visionNativeSync } from '../../vision/native.ts';
import { maskedBoxMeanPasses } from './features.ts';

// What folds.ts and block-scratches.ts both read in the relief: straight valleys at a scale, from the
// Hessian of the relief smoothed at that scale.

/** Box means of the relief over the mask, three times: ≈ a Gaussian of σ² = 3·((2r+1)² − 1)/12 px², r from sigmaPx. */
export function smoothRelief(relief: Float32Array, mask: Uint8Array, w: number, h: number, sigmaPx: number): Float32Array {
  // 3 · ((2r + 1)² − 1) / 12 = σ²  →  r = (√(4σ² + 1) − 1) / 2.
  const r = smoothingRadiusPx(sigmaPx);
  // Natively when built (native/vision/morph.c: the same sums in the same order, the same floats).
  const ops = visionNativeSync()?.maskOps;
  if (!ops) return maskedBoxMeanPasses(relief, mask, w, h, r, 3);
  const out = new Float32Array(w * h);
  ops.maskedBoxMean(relief, mask, w, h, r, 3, out);
  return out;
}

/** The box radius smoothRelief uses for sigmaPx (at least 1). */
export function smoothingRadiusPx(sigmaPx: number): number {
  return Math.max(1, Math.round((Math.sqrt(4 * sigmaPx * sigmaPx + 1) - 1) / 2));
}

/**
 * The curvature across a valley at interior pixel i of z (w wide; `inv` = 1 / (mm per px)², so µm/mm² for
 * µm of relief): the Hessian's larger eigenvalue λ1 where the relief curves up across and runs straight
 * along (|λ2| ≤ λ1 / 2), else 0.
 */
export function valleyCurvature(z: Float32Array, w: number, i: number, inv: number): number {
  const hxx = (z[i + 1] - 2 * z[i] + z[i - 1]) * inv;
  const hyy = (z[i + w] - 2 * z[i] + z[i - w]) * inv;
  const hxy = ((z[i + w + 1] - z[i + w - 1] - z[i - w + 1] + z[i - w - 1]) / 4) * inv;
  const mean = (hxx + hyy) / 2, d = Math.sqrt(((hxx - hyy) / 2) ** 2 + hxy * hxy);
  const l1 = mean + d, l2 = mean - d;
  return l1 > 0 && Math.abs(l2) <= l1 / 2 ? l1 : 0;
}
