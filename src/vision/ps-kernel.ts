import type { LightField } from './lights.ts';

// The per-pixel photometric-stereo kernel in plain TypeScript. native/vision/ps.c implements the same
// estimator in C; keep both in step (test/vision/ps.test.ts compares them).

/** Typed-array planes the kernel reads: one single-channel image per light, same size. */
export type Plane = Uint8Array | Uint16Array | Float32Array;

/** Estimator settings, shared by the TS and C kernels. */
export interface PsKernelOptions {
  /** 'ls': plain least squares over all lights; 'robust': trimmed solve, then up to two residual-gated re-solves. */
  method: 'ls' | 'robust';
  /** Darkest readings dropped in the first pass (shadows). */
  trimLow: number;
  /** Brightest readings dropped in the first pass (specular highlights). */
  trimHigh: number;
  /** Raw value at or above which a reading is saturated and ignored (Infinity = none). */
  saturation: number;
  /** Second pass keeps light i when |I − l·g| ≤ tol·|g|·|l| (fraction of that light's full shading). */
  residualTol: number;
  /** Second pass drops lights with l·g ≤ cosMin·|g|·|l| (attached shadow: surface faces away). */
  cosMin: number;
}

export const defaultPsKernelOptions: PsKernelOptions = {
  method: 'robust',
  trimLow: 2,
  trimHigh: 1,
  saturation: Infinity,
  residualTol: 0.11,
  cosMin: 0.075,
};

/** Per-tile tables derived from the light field: LS pseudo-inverse and the light magnitudes. */
export interface TileTables {
  count: number;
  /** [tile][3][N] pseudo-inverse (LᵀL)⁻¹Lᵀ for plain LS. */
  pinv: Float32Array;
  /** [tile][N] 1/|l|. */
  invMag: Float32Array;
  /** [tile][6] Σ l lᵀ over all lights (xx xy xz yy yz zz): the native kernel subtracts the left-out readings. */
  normal: Float32Array;
}

/** Build the per-tile pseudo-inverses and inverse magnitudes of a light field. */
export function buildTileTables(field: LightField): TileTables {
  const n = field.count;
  const tiles = field.tilesX * field.tilesY;
  const pinv = new Float32Array(tiles * 3 * n);
  const invMag = new Float32Array(tiles * n);
  const normal = new Float32Array(tiles * 6);
  const v = field.vectors;
  for (let t = 0; t < tiles; t++) {
    let a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0;
    const base = t * n * 3;
    for (let i = 0; i < n; i++) {
      const x = v[base + 3 * i], y = v[base + 3 * i + 1], z = v[base + 3 * i + 2];
      a00 += x * x; a01 += x * y; a02 += x * z; a11 += y * y; a12 += y * z; a22 += z * z;
      const m = Math.hypot(x, y, z);
      invMag[t * n + i] = m > 0 ? 1 / m : 0;
    }
    normal.set([a00, a01, a02, a11, a12, a22], t * 6);
    const inv = invert3(a00, a01, a02, a11, a12, a22);
    for (let i = 0; i < n; i++) {
      const x = v[base + 3 * i], y = v[base + 3 * i + 1], z = v[base + 3 * i + 2];
      for (let r = 0; r < 3; r++) pinv[(t * 3 + r) * n + i] = inv ? inv[3 * r] * x + inv[3 * r + 1] * y + inv[3 * r + 2] * z : 0;
    }
  }
  return { count: n, pinv, invMag, normal };
}

/** Inverse of a symmetric 3×3 matrix (row-major 9 values), or undefined when near singular. */
export function invert3(a00: number, a01: number, a02: number, a11: number, a12: number, a22: number): number[] | undefined {
  const c00 = a11 * a22 - a12 * a12;
  const c01 = a02 * a12 - a01 * a22;
  const c02 = a01 * a12 - a02 * a11;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  const tr = a00 + a11 + a22;
  if (!(Math.abs(det) > 1e-6 * tr * tr * tr)) return undefined;
  const c11 = a00 * a22 - a02 * a02;
  const c12 = a01 * a02 - a00 * a12;
  const c22 = a00 * a11 - a01 * a01;
  const d = 1 / det;
  return [c00 * d, c01 * d, c02 * d, c01 * d, c11 * d, c12 * d, c02 * d, c12 * d, c22 * d];
}

/** Outputs of the solve: normals (3 per px, unit), albedo and confidence ∈ [0, 1] (1 per px). */
export interface PsOutput {
  normals: Float32Array;
  albedo: Float32Array;
  confidence: Float32Array;
}

/** Solve rows [y0, y1) into `out` (plain TS). Pixels outside `mask` get n = (0,0,1), albedo 0, conf 0. */
export function psRowsTs(
  planes: readonly Plane[],
  field: LightField,
  tables: TileTables,
  mask: Uint8Array | undefined,
  opt: PsKernelOptions,
  out: PsOutput,
  y0: number,
  y1: number,
): void {
  const n = field.count;
  const w = field.width;
  const v = field.vectors;
  const I = new Float64Array(n);
  const s = new Float64Array(n);
  const state = new Uint8Array(n); // 0 invalid, 1 valid, 3 kept by pass 2
  const lows = new Float64Array(Math.max(1, opt.trimLow));
  const highs = new Float64Array(Math.max(1, opt.trimHigh));
  const robust = opt.method === 'robust';
  for (let y = y0; y < y1; y++) {
    const ty = Math.floor(y / field.tileSize);
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (mask && mask[p] === 0) {
        out.normals[3 * p] = 0; out.normals[3 * p + 1] = 0; out.normals[3 * p + 2] = 1;
        out.albedo[p] = 0; out.confidence[p] = 0;
        continue;
      }
      const t = ty * field.tilesX + Math.floor(x / field.tileSize);
      const lb = t * n * 3;
      let gx = 0, gy = 0, gz = 0;
      let conf = 0;
      if (!robust) {
        const pb = t * 3 * n;
        for (let i = 0; i < n; i++) {
          const val = planes[i][p];
          gx += tables.pinv[pb + i] * val;
          gy += tables.pinv[pb + n + i] * val;
          gz += tables.pinv[pb + 2 * n + i] * val;
        }
        conf = 1;
      } else {
        // Pass 1: drop readings at or below the kLow-th smallest shading ratio s = I/|l| and at or above
        // the kHigh-th largest (ties go together: several equal zeros are one shadow). If fewer than 3
        // readings remain, use every valid reading.
        const im = tables.invMag;
        let lowT = -Infinity, highT = Infinity;
        const kLow = opt.trimLow, kHigh = opt.trimHigh;
        lows.fill(Infinity);
        highs.fill(-Infinity);
        for (let i = 0; i < n; i++) {
          const val = planes[i][p];
          I[i] = val;
          const ok = val < opt.saturation && im[t * n + i] > 0;
          state[i] = ok ? 1 : 0;
          if (!ok) continue;
          const si = val * im[t * n + i];
          s[i] = si;
          let vlo = si;
          for (let j = 0; j < kLow; j++) { const a = Math.min(lows[j], vlo); vlo = Math.max(lows[j], vlo); lows[j] = a; }
          let vhi = si;
          for (let j = 0; j < kHigh; j++) { const a = Math.max(highs[j], vhi); vhi = Math.min(highs[j], vhi); highs[j] = a; }
        }
        if (kLow > 0) lowT = lows[kLow - 1];
        if (kHigh > 0) highT = highs[kHigh - 1];
        let a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, b0 = 0, b1 = 0, b2 = 0;
        let cnt = 0;
        for (let pass = 0; pass < 2 && cnt < 3; pass++) {
          a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
          cnt = 0;
          for (let i = 0; i < n; i++) {
            if (state[i] === 0 || (pass === 0 && !(s[i] > lowT && s[i] < highT))) continue;
            const lx = v[lb + 3 * i], ly = v[lb + 3 * i + 1], lz = v[lb + 3 * i + 2];
            a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
            b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
            cnt++;
          }
        }
        const inv = cnt >= 3 ? invert3(a00, a01, a02, a11, a12, a22) : undefined;
        if (inv) {
          gx = inv[0] * b0 + inv[1] * b1 + inv[2] * b2;
          gy = inv[3] * b0 + inv[4] * b1 + inv[5] * b2;
          gz = inv[6] * b0 + inv[7] * b1 + inv[8] * b2;
          // Pass 2: keep every reading that agrees with the first estimate (re-admits good readings the
          // trim dropped, rejects shadows/highlights beyond the trim count). Pass 3 gates again around
          // the pass-2 estimate, for pixels where pass 2 rejected a lit reading (a pass-1 estimate pulled by
          // many shadows or highlights gates too loosely or too tightly); it keeps its result only when
          // it solves.
          let done = false;
          for (let gate = 0; gate < 2 && !done; gate++) {
            const gNorm = Math.hypot(gx, gy, gz);
            a00 = a01 = a02 = a11 = a12 = a22 = b0 = b1 = b2 = 0;
            let kept = 0;
            let lit = 0;
            let magSum = 0;
            for (let i = 0; i < n; i++) {
              if (!(im[t * n + i] > 0)) continue;
              if (state[i] === 3) state[i] = 1;
              const lx = v[lb + 3 * i], ly = v[lb + 3 * i + 1], lz = v[lb + 3 * i + 2];
              const mag = 1 / im[t * n + i];
              const pred = lx * gx + ly * gy + lz * gz;
              const scale = gNorm * mag;
              // Lit (by the current estimate) readings, saturated or not: rejecting one is a model
              // failure (highlight, noise), unlike leaving out an attached shadow.
              if (!(pred > opt.cosMin * scale)) continue;
              lit++;
              if (state[i] !== 0 && Math.abs(I[i] - pred) <= opt.residualTol * scale) {
                a00 += lx * lx; a01 += lx * ly; a02 += lx * lz; a11 += ly * ly; a12 += ly * lz; a22 += lz * lz;
                b0 += I[i] * lx; b1 += I[i] * ly; b2 += I[i] * lz;
                state[i] = 3;
                kept++;
                magSum += mag;
              }
            }
            const inv2 = kept >= 3 ? invert3(a00, a01, a02, a11, a12, a22) : undefined;
            if (!inv2) {
              if (gate === 0) conf = 0.1;
              break;
            }
            gx = inv2[0] * b0 + inv2[1] * b1 + inv2[2] * b2;
            gy = inv2[3] * b0 + inv2[4] * b1 + inv2[5] * b2;
            gz = inv2[6] * b0 + inv2[7] * b1 + inv2[8] * b2;
            let r2 = 0;
            for (let i = 0; i < n; i++) {
              if (state[i] !== 3) continue;
              const r = I[i] - (v[lb + 3 * i] * gx + v[lb + 3 * i + 1] * gy + v[lb + 3 * i + 2] * gz);
              r2 += r * r;
            }
            const g2 = Math.hypot(gx, gy, gz);
            const x = g2 > 0 ? Math.sqrt(r2 / kept) / (g2 * (magSum / kept)) / 0.05 : 1e3;
            // Confidence: agreement of the kept readings with the Lambertian fit (relative RMS residual,
            // 5% halves it), lit readings rejected (highlights; 10% of them halves it), and enough kept
            // readings (6 or more for full confidence).
            const rej = (1 - kept / lit) / 0.1;
            conf = Math.min(1, (kept - 2) / 4) / ((1 + x * x) * (1 + rej * rej));
            done = kept === lit;
          }
        }
      }
      const g = Math.hypot(gx, gy, gz);
      if (g > 0) {
        out.normals[3 * p] = gx / g; out.normals[3 * p + 1] = gy / g; out.normals[3 * p + 2] = gz / g;
      } else {
        out.normals[3 * p] = 0; out.normals[3 * p + 1] = 0; out.normals[3 * p + 2] = 1;
        conf = 0;
      }
      out.albedo[p] = g;
      out.confidence[p] = conf;
    }
  }
}
