import { createError } from '../core/errors.ts';
import type { LightField } from './lights.ts';
import { buildTileTables, defaultPsKernelOptions, psRowsTs, type Plane, type PsKernelOptions, type PsOutput, type TileTables } from './ps-kernel.ts';
import { loadVisionNative } from './native.ts';

export type { Plane, PsOutput } from './ps-kernel.ts';

/** Options of {@link solvePhotometricStereo}. */
export interface PsOptions extends Partial<PsKernelOptions> {
  /** Non-zero = solve this pixel (width×height); others get n = (0,0,1), albedo 0, confidence 0. */
  mask?: Uint8Array;
  /** 'auto' (native when built, else TS), or force one backend. */
  backend?: 'auto' | 'native' | 'ts';
  /** Output buffers to reuse (sizes must match); saves page-faulting ~250 MB per 12 MP solve. */
  out?: PsOutput;
}

/** Result of the solve plus which backend ran. */
export interface PsResult extends PsOutput {
  width: number;
  height: number;
  backend: 'native' | 'ts';
}

// Rows per slice: the TS kernel yields to the event loop between slices; the native kernel runs two
// slices at once on libuv's thread pool (one per core on the booth's 2-core computer).
const TS_SLICE_ROWS = 64;

const tableCache = new WeakMap<LightField, TileTables>();

/**
 * Photometric stereo: per-pixel normals (unit, x right, y up, z to camera), albedo (reading units per
 * unit light) and confidence from one single-channel plane per light. Runs off the event loop's back:
 * native work on the thread pool, or TS in slices that yield between them.
 */
export async function solvePhotometricStereo(planes: readonly Plane[], field: LightField, options: PsOptions = {}): Promise<PsResult> {
  const { width, height } = field;
  if (planes.length !== field.count) throw createError('GB_DATASET_INVALID', `expected ${field.count} images (one per light), got ${planes.length}`);
  if (planes.length < 3) throw createError('GB_DATASET_INVALID', `photometric stereo needs at least 3 lights, got ${planes.length}`);
  for (let i = 0; i < planes.length; i++) {
    if (planes[i].length !== width * height) throw createError('GB_IMAGE_INVALID', `image ${i + 1}: expected ${width}×${height} samples, got ${planes[i].length}`);
  }
  if (options.mask && options.mask.length !== width * height) throw createError('GB_IMAGE_INVALID', `mask: expected ${width * height} samples, got ${options.mask.length}`);
  const opt: PsKernelOptions = { ...defaultPsKernelOptions };
  for (const k of Object.keys(defaultPsKernelOptions) as (keyof PsKernelOptions)[]) {
    if (options[k] !== undefined) (opt as unknown as Record<string, unknown>)[k] = options[k];
  }
  // Near-field tables cost ~10⁵ small inversions; a booth reuses one calibrated field for every side.
  let tables = tableCache.get(field);
  if (!tables) {
    tables = buildTileTables(field);
    tableCache.set(field, tables);
  }
  const reuse = options.out;
  if (reuse && (reuse.normals.length !== 3 * width * height || reuse.albedo.length !== width * height || reuse.confidence.length !== width * height)) {
    throw createError('GB_VISION_FAILED', `out: buffers do not match ${width}×${height}`);
  }
  const out: PsOutput = reuse ?? {
    normals: new Float32Array(width * height * 3),
    albedo: new Float32Array(width * height),
    confidence: new Float32Array(width * height),
  };
  const native = options.backend === 'ts' ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native) throw createError('GB_VISION_FAILED', 'native vision kernels are not built (run `node native/vision/build.mjs`)');
  const sameType = planes.every((p) => p.constructor === planes[0].constructor);
  if (native && sameType && field.count <= 64 && opt.trimLow <= 8 && opt.trimHigh <= 8) {
    const bands = native.threads;
    const step = Math.ceil(height / bands);
    const jobs: Promise<void>[] = [];
    for (let y0 = 0; y0 < height; y0 += step) {
      jobs.push(native.psSolve({ planes, field, tables, mask: options.mask, opt, out, y0, y1: Math.min(height, y0 + step) }));
    }
    await Promise.all(jobs);
    return { ...out, width, height, backend: 'native' };
  }
  for (let y0 = 0; y0 < height; y0 += TS_SLICE_ROWS) {
    psRowsTs(planes, field, tables, options.mask, opt, out, y0, Math.min(height, y0 + TS_SLICE_ROWS));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { ...out, width, height, backend: 'ts' };
}

/** Angle in degrees between unit normals a and b at pixel i (3 floats per pixel each). */
export function angleDeg(a: Float32Array, b: Float32Array, i: number): number {
  const d = a[3 * i] * b[3 * i] + a[3 * i + 1] * b[3 * i + 1] + a[3 * i + 2] * b[3 * i + 2];
  return (Math.acos(Math.min(1, Math.max(-1, d))) * 180) / Math.PI;
}

/** Mean and median angular error in degrees over the mask (all pixels when absent). */
export function normalError(estimate: Float32Array, truth: Float32Array, mask?: Uint8Array): { meanDeg: number; medianDeg: number; count: number } {
  const errs: number[] = [];
  const n = estimate.length / 3;
  for (let i = 0; i < n; i++) if (!mask || mask[i]) errs.push(angleDeg(estimate, truth, i));
  if (errs.length === 0) return { meanDeg: NaN, medianDeg: NaN, count: 0 };
  const sorted = Float64Array.from(errs).sort();
  const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { meanDeg: mean, medianDeg: median, count: errs.length };
}
