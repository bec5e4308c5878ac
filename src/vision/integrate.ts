import { createError } from '../core/errors.ts';
import { buildHierarchy, poissonPcgTs } from './poisson-kernel.ts';
import { loadVisionNative, type IntegrateSolver } from './native.ts';

/** Options of {@link integrateNormals}. */
export interface IntegrateOptions {
  /** Non-zero = integrate here (width×height); default: every pixel. Height outside is 0. */
  mask?: Uint8Array;
  /** Relative residual at which CG stops (default 1e-5; it also stops where float32 precision ends). */
  tolerance?: number;
  maxIterations?: number;
  /** Smallest n_z used when turning normals into slopes (limits slopes near silhouettes; default 0.05). */
  minNz?: number;
  backend?: 'auto' | 'native' | 'ts';
}

/** Integrated height field, in pixel units, towards the camera; zero mean over the mask. */
export interface IntegrateResult {
  width: number;
  height: number;
  heightPx: Float32Array;
  iterations: number;
  backend: 'native' | 'ts';
  /** 'dct' (FFTW DCT Poisson, native only) alone, as the initial guess of masked PCG, or PCG alone. */
  solver: IntegrateSolver;
}

/**
 * Slopes per pixel from unit normals (x right, y up, z to camera): gx = ∂z/∂x along columns
 * (= −nx/nz), gy = change of z per row going DOWN the image (= +ny/nz, since image rows run against y).
 */
export function normalsToSlopes(normals: Float32Array, count: number, minNz = 0.05): { gx: Float32Array; gy: Float32Array } {
  const gx = new Float32Array(count);
  const gy = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const nz = Math.max(normals[3 * i + 2], minNz);
    gx[i] = -normals[3 * i] / nz;
    gy[i] = normals[3 * i + 1] / nz;
  }
  return { gx, gy };
}

/** Right-hand side of the masked least-squares normal equations (divergence of edge-averaged slopes). */
export function poissonRhs(width: number, height: number, gx: Float32Array, gy: Float32Array, mask: Uint8Array): Float32Array {
  const b = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      if (x + 1 < width && mask[i + 1]) {
        const e = 0.5 * (gx[i] + gx[i + 1]);
        b[i] -= e;
        b[i + 1] += e;
      }
      if (y + 1 < height && mask[i + width]) {
        const e = 0.5 * (gy[i] + gy[i + width]);
        b[i] -= e;
        b[i + width] += e;
      }
    }
  }
  removeComponentMeans(b, width, height, mask);
  return b;
}

/**
 * Make the right-hand side consistent: on each 4-connected mask component the Laplacian's range is the
 * zero-sum vectors, and float rounding leaves a small sum that CG could never remove.
 */
export function removeComponentMeans(b: Float32Array, width: number, height: number, mask: Uint8Array): void {
  const label = new Int32Array(width * height).fill(-1);
  const queue = new Int32Array(width * height);
  for (let seed = 0; seed < label.length; seed++) {
    if (!mask[seed] || label[seed] >= 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    label[seed] = seed;
    let sum = 0;
    while (head < tail) {
      const i = queue[head++];
      sum += b[i];
      const x = i % width;
      if (x + 1 < width && mask[i + 1] && label[i + 1] < 0) { label[i + 1] = seed; queue[tail++] = i + 1; }
      if (x > 0 && mask[i - 1] && label[i - 1] < 0) { label[i - 1] = seed; queue[tail++] = i - 1; }
      if (i + width < label.length && mask[i + width] && label[i + width] < 0) { label[i + width] = seed; queue[tail++] = i + width; }
      if (i >= width && mask[i - width] && label[i - width] < 0) { label[i - width] = seed; queue[tail++] = i - width; }
    }
    const mean = sum / tail;
    for (let k = 0; k < tail; k++) b[queue[k]] -= mean;
  }
}

/**
 * Normals → height (pixel units, towards the camera) by masked least squares: only slopes between two
 * mask pixels count, so the object's outline is a free boundary, not a zero-filled rectangle.
 */
export async function integrateNormals(normals: Float32Array, width: number, height: number, options: IntegrateOptions = {}): Promise<IntegrateResult> {
  const n = width * height;
  if (normals.length !== 3 * n) throw createError('GB_IMAGE_INVALID', `normals: expected ${3 * n} values for ${width}×${height}, got ${normals.length}`);
  const mask = options.mask ?? new Uint8Array(n).fill(1);
  if (mask.length !== n) throw createError('GB_IMAGE_INVALID', `mask: expected ${n} samples, got ${mask.length}`);
  const tolerance = options.tolerance ?? 1e-5;
  const maxIterations = options.maxIterations ?? 100;
  const minNz = options.minNz ?? 0.05;
  const z = new Float32Array(n);
  const native = options.backend === 'ts' ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native) throw createError('GB_VISION_FAILED', 'native vision kernels are not built (run `node native/vision/build.mjs`)');
  if (native) {
    // One native call does slopes, right-hand side, the solve and the mean (native/vision/integrate.c).
    const { iterations, solver } = await native.integrateSolve(width, height, normals, mask, z, tolerance, maxIterations, minNz);
    return { width, height, heightPx: z, iterations, backend: 'native', solver };
  }
  const { gx, gy } = normalsToSlopes(normals, n, minNz);
  const rhs = poissonRhs(width, height, gx, gy, mask);
  const levels = buildHierarchy(width, height, mask);
  const iterations = await poissonPcgTs(levels, rhs, z, tolerance, maxIterations);
  const backend = 'ts' as const;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) if (mask[i]) { sum += z[i]; count++; }
  const mean = count ? sum / count : 0;
  for (let i = 0; i < n; i++) z[i] = mask[i] ? z[i] - mean : 0;
  return { width, height, heightPx: z, iterations, backend, solver: 'pcg' };
}
