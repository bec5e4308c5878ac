import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import type { LightField } from './lights.ts';
import type { Plane, PsKernelOptions, PsOutput, TileTables } from './ps-kernel.ts';

// Optional C kernels (native/vision/*.c, see native/vision/README.md), built by
// `node native/vision/build.mjs` (also run, never fatally, by the package's postinstall). Each call is one
// napi async work item on libuv's thread pool, so the event loop keeps running; callers split images into
// bands to use both cores.

/** Path of the built addon. */
export const nativeAddonPath = fileURLToPath(new URL('../../native/vision/build/gradebooth_vision.node', import.meta.url));

interface RawAddon {
  psSolve(
    planes: readonly Plane[],
    params: Float64Array,
    vectors: Float32Array,
    pinv: Float32Array,
    invMag: Float32Array,
    mask: Uint8Array | null,
    normals: Float32Array,
    albedo: Float32Array,
    confidence: Float32Array,
    normalAll: Float32Array,
  ): Promise<void>;
  integrateSolve(params: Float64Array, normals: Float32Array, mask: Uint8Array, height: Float32Array): Promise<{ iterations: number; solver: number }>;
  /** Built with FFTW: integration has the DCT Poisson solver. */
  dct?: boolean;
  warpSolve(params: Float64Array, srcs: Float32Array[], dsts: Float32Array[], chans: Int32Array): Promise<void>;
  resampleArea(params: Float64Array, mask: Uint8Array, normals: Float32Array, albedo: Float32Array, relief: Float32Array, confidence: Float32Array | null, outMask: Uint8Array, outNormals: Float32Array, outAlbedo: Float32Array, outRelief: Float32Array, outConfidence: Float32Array | null): Promise<void>;
  surfaceFeatures?(params: Float64Array, mask: Uint8Array, normals: Float32Array, albedo: Float32Array, relief: Float32Array, confidence: Float32Array, out: Float32Array): Promise<boolean>;
  resamplePictures?(params: Float64Array, mask: Uint8Array, normals: Float32Array, albedo: Float32Array, albedoRgb: Uint8Array, shade: Uint8Array, normalRgb: Uint8Array): Promise<void>;
  unpackSoftmax?(params: Float64Array, logits: Float32Array, out: Float32Array): Promise<void>;
  packTile?(params: Float64Array, features: Float32Array, input: Float32Array): Promise<void>;
  maskMorph?(src: Uint8Array, w: number, h: number, r: number, out: Uint8Array, dilate: boolean): void;
  components?(m: Uint8Array, w: number, h: number, labels: Int32Array): number;
  maskedBoxMean?(values: Float32Array, mask: Uint8Array, w: number, h: number, r: number, passes: number, out: Float32Array): void;
}

/**
 * The surface post-processing's mask operations (native/vision/morph.c): the TypeScript's algorithms
 * (src/grading/surface/postprocess.ts, features.ts), the same results to the bit, run synchronously on the
 * calling thread. Masks are read as set where nonzero and written as 0/1; outputs are the caller's, never
 * an input.
 */
export interface NativeMaskOps {
  erodeSquare(mask: Uint8Array, w: number, h: number, r: number, out: Uint8Array): void;
  dilateSquare(mask: Uint8Array, w: number, h: number, r: number, out: Uint8Array): void;
  /** 8-connected components into `labels` (1..count in the raster order of their first pixel); the count. */
  components(mask: Uint8Array, w: number, h: number, labels: Int32Array): number;
  /** `passes` masked box means of half-width r. */
  maskedBoxMean(values: Float32Array, mask: Uint8Array, w: number, h: number, r: number, passes: number, out: Float32Array): void;
}

/** How a height field was solved: DCT alone (near-full mask), DCT as PCG's initial guess, or PCG alone. */
export type IntegrateSolver = 'dct' | 'dct+pcg' | 'pcg';

/** One band of a photometric-stereo solve for the native kernel. */
export interface NativePsJob {
  planes: readonly Plane[];
  field: LightField;
  tables: TileTables;
  mask: Uint8Array | undefined;
  opt: PsKernelOptions;
  out: PsOutput;
  y0: number;
  y1: number;
}

/** The loaded native kernels. */
export interface VisionNative {
  /** Bands to split a job into (one per core). */
  threads: number;
  psSolve(job: NativePsJob): Promise<void>;
  /** The solve's memory traffic alone (read every plane, write every output; no arithmetic): the bound. */
  psMemoryProbe(job: NativePsJob): Promise<void>;
  /** Built with FFTW: integration uses the DCT Poisson solver (native/vision/dct.c). */
  dct: boolean;
  /** Normals → zero-mean height on the mask in `out` (0 outside); resolves to the CG iterations and the method used. */
  integrateSolve(width: number, height: number, normals: Float32Array, mask: Uint8Array, out: Float32Array, tolerance: number, maxIterations: number, minNz: number): Promise<{ iterations: number; solver: IntegrateSolver }>;
  /** Resample rows [y0, y1) of each image's dst (dstW × dstH × channels) from its src through H, in one pass. */
  warp(job: NativeWarpJob): Promise<void>;
  /** Output rows [y0, y1) of an area-average resampling of a side's maps to a coarser size (src/grading/surface/resample.ts); undefined in an addon built before it existed. */
  resampleArea?(job: NativeResampleJob): Promise<void>;
  /** The channels in `job.channels` of a side's surface-model features into `job.out` (src/grading/surface/features.ts); resolves to false when its scratch could not be allocated; undefined in an addon built before it existed. */
  surfaceFeatures?(job: NativeFeaturesJob): Promise<boolean>;
  /** Output rows [y0, y1) of the report's whole-side pictures straight from a side's maps (src/grading/report-images.ts); undefined in an addon built before it existed. */
  resamplePictures?(job: NativePicturesJob): Promise<void>;
  /** Rows [rows[0], rows[1]) of a packed tile's logits onto the surface map with the class softmax (src/grading/surface/tile-layout.ts); undefined in an addon built before it existed. */
  unpackSoftmax?(job: NativeUnpackJob): Promise<void>;
  /** Rows [rows[0], rows[1]) of a network tile packed from the feature planes (src/grading/surface/tile-layout.ts packTile); undefined in an addon built before it existed. */
  packTile?(job: NativePackJob): Promise<void>;
  /** The surface post-processing's mask operations, synchronous; undefined in an addon built before them. */
  maskOps?: NativeMaskOps;
}

/** Rows [y0, y1) of the report's three whole-side pictures (w × h) from a side's maps area-averaged to w × h. */
export interface NativePicturesJob {
  src: Pick<NativeSideMaps, 'widthPx' | 'heightPx' | 'mask' | 'normals' | 'albedo'>;
  width: number;
  height: number;
  y0: number;
  y1: number;
  /** 255 / the albedo's white. */
  albedoScale: number;
  /** Slope exaggeration of the shaded relief. */
  slopeGain: number;
  /** The shading light's direction (x right, y up, z out of the card). */
  light: [number, number, number];
  /** Outputs: RGB grey albedo (3 × w × h), shaded relief (w × h), normal colours (3 × w × h). */
  albedoRgb: Uint8Array;
  shade: Uint8Array;
  normalRgb: Uint8Array;
}

/** One band of a network tile's rows to pack from the feature planes (src/grading/surface/tile-layout.ts packTile). */
export interface NativePackJob {
  features: Float32Array;
  channels: number;
  w: number;
  h: number;
  block: number;
  win: { x0: number; y0: number; tileW: number; tileH: number };
  input: Float32Array;
  slot: number;
  /** Tile rows, [first, end). */
  rows: [number, number];
}

/** One band of rows of a network tile's logits to unpack (src/grading/surface/tile-layout.ts unpackTile). */
export interface NativeUnpackJob {
  logits: Float32Array;
  slot: number;
  classes: number;
  block: number;
  win: { x0: number; y0: number; tileW: number; tileH: number };
  out: Float32Array;
  w: number;
  h: number;
  rows: [number, number];
  cols: [number, number];
}

/** Some channels of a side's surface-model features (6 × h × w, channel-major) at the side's own scale. */
export interface NativeFeaturesJob {
  maps: NativeSideMaps & { confidence: Float32Array };
  out: Float32Array;
  /** Bit c set: write channel c (0, 1 slope, 2 relief, 3 log albedo, 4 misfit, 5 mask). */
  channels: number;
  /** Local-mean window radii, px. */
  radiiPx: { slope: number; relief: number; albedo: number };
  /** asinh scales (surfaceFeatureSpec.scales). */
  scales: { slope: number; reliefUm: number; logAlbedo: number };
}

/** Single-channel maps and 3-channel normals of one card side (the grading contract's layout). */
export interface NativeSideMaps {
  widthPx: number;
  heightPx: number;
  mask: Uint8Array;
  normals: Float32Array;
  albedo: Float32Array;
  reliefUm: Float32Array;
  /** Photometric-stereo confidence, 1 per px, when the maps carry it. */
  confidence?: Float32Array;
}

/** One band of an area-average resampling: `dst` rows [y0, y1) from `src` (dst no larger than src). */
export interface NativeResampleJob {
  src: NativeSideMaps;
  dst: NativeSideMaps;
  y0: number;
  y1: number;
}

/** One image of a {@link NativeWarpJob}: `channels` interleaved floats per pixel. */
export interface NativeWarpImage {
  src: Float32Array;
  dst: Float32Array;
  channels: number;
}

/** One band of a homography resampling for the native kernel: images sharing one mapping. */
export interface NativeWarpJob {
  /** Up to 4; with `rotation`, the first is 3-channel normals. */
  images: readonly NativeWarpImage[];
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  H: readonly number[];
  y0: number;
  y1: number;
  /** In-plane rotation (cos, sin) applied to 3-channel normals, which are then renormalised. */
  rotation?: [number, number];
}

let loaded: { api: VisionNative | undefined } | undefined;

function planeKind(p: Plane): number {
  if (p instanceof Uint8Array) return 0;
  if (p instanceof Uint16Array) return 1;
  return 2;
}

/** Load the native kernels once; undefined when the addon is not built or does not load here. */
export function loadVisionNative(): Promise<VisionNative | undefined> {
  return Promise.resolve().then(visionNativeSync);
}

/**
 * {@link loadVisionNative} for synchronous callers (the surface post-processing's mask operations): the
 * same instance, loaded on first use.
 */
export function visionNativeSync(): VisionNative | undefined {
  loaded ??= { api: loadAddon() };
  return loaded.api;
}

function loadAddon(): VisionNative | undefined {
  if (!existsSync(nativeAddonPath)) return undefined;
  let raw: RawAddon;
  // libgomp reads its settings when the addon loads it: threads that sleep at barriers instead of
  // spinning, because the booth's two cores are shared with the daemon and the camera.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    raw = createRequire(import.meta.url)(nativeAddonPath) as RawAddon;
  } catch {
    return undefined;
  }
  const psCall = (job: NativePsJob, method: number): Promise<void> => {
    const { field, opt } = job;
    const params = Float64Array.from([
      field.width, field.tileSize, field.tilesX, field.count, planeKind(job.planes[0]),
      method, opt.trimLow, opt.trimHigh,
      Number.isFinite(opt.saturation) ? opt.saturation : 1e30, opt.residualTol, opt.cosMin, job.y0, job.y1,
    ]);
    return raw.psSolve(job.planes, params, field.vectors, job.tables.pinv, job.tables.invMag, job.mask ?? null, job.out.normals, job.out.albedo, job.out.confidence, job.tables.normal);
  };
  const api: VisionNative = {
    threads: Math.max(1, Math.min(availableParallelism(), 8)),
    psSolve(job) {
      return psCall(job, job.opt.method === 'robust' ? 1 : 0);
    },
    psMemoryProbe(job) {
      return psCall(job, 2);
    },
    warp(j) {
      const params = Float64Array.from([
        j.srcWidth, j.srcHeight, j.dstWidth, j.dstHeight, j.y0, j.y1, j.rotation ? 1 : 0,
        j.rotation?.[0] ?? 1, j.rotation?.[1] ?? 0, ...j.H,
      ]);
      return raw.warpSolve(params, j.images.map((i) => i.src), j.images.map((i) => i.dst), Int32Array.from(j.images.map((i) => i.channels)));
    },
    resampleArea: typeof raw.resampleArea === 'function'
      ? ({ src, dst, y0, y1 }) => raw.resampleArea(Float64Array.from([src.widthPx, src.heightPx, dst.widthPx, dst.heightPx, y0, y1]), src.mask, src.normals, src.albedo, src.reliefUm, dst.confidence ? src.confidence ?? null : null, dst.mask, dst.normals, dst.albedo, dst.reliefUm, src.confidence ? dst.confidence ?? null : null)
      : undefined,
    resamplePictures: typeof raw.resamplePictures === 'function'
      ? (j) => raw.resamplePictures!(Float64Array.from([j.src.widthPx, j.src.heightPx, j.width, j.height, j.y0, j.y1, j.albedoScale, j.slopeGain, ...j.light]), j.src.mask, j.src.normals, j.src.albedo, j.albedoRgb, j.shade, j.normalRgb)
      : undefined,
    surfaceFeatures: typeof raw.surfaceFeatures === 'function'
      ? ({ maps, out, channels, radiiPx: r, scales: s }) => raw.surfaceFeatures!(Float64Array.from([maps.widthPx, maps.heightPx, channels, r.slope, r.relief, r.albedo, s.slope, s.reliefUm, s.logAlbedo]), maps.mask, maps.normals, maps.albedo, maps.reliefUm, maps.confidence, out)
      : undefined,
    unpackSoftmax: typeof raw.unpackSoftmax === 'function'
      ? ({ logits, slot, classes, block, win, out, w, h, rows, cols }) => raw.unpackSoftmax!(Float64Array.from([classes, block, win.tileW, win.tileH, win.x0, win.y0, w, h, rows[0], rows[1], cols[0], cols[1], slot]), logits, out)
      : undefined,
    packTile: typeof raw.packTile === 'function'
      ? ({ features, channels, w, h, block, win, input, slot, rows }) => raw.packTile!(Float64Array.from([channels, block, win.tileW, win.tileH, win.x0, win.y0, w, h, rows[0], rows[1], slot]), features, input)
      : undefined,
    maskOps: typeof raw.maskMorph === 'function' && typeof raw.components === 'function' && typeof raw.maskedBoxMean === 'function'
      ? {
        erodeSquare: (mask, w, h, r, out) => raw.maskMorph!(mask, w, h, r, out, false),
        dilateSquare: (mask, w, h, r, out) => raw.maskMorph!(mask, w, h, r, out, true),
        components: (mask, w, h, labels) => raw.components!(mask, w, h, labels),
        maskedBoxMean: (values, mask, w, h, r, passes, out) => raw.maskedBoxMean!(values, mask, w, h, r, passes, out),
      }
      : undefined,
    dct: raw.dct === true,
    async integrateSolve(width, height, normals, mask, out, tolerance, maxIterations, minNz) {
      const r = await raw.integrateSolve(Float64Array.from([width, height, tolerance, maxIterations, minNz]), normals, mask, out);
      return { iterations: r.iterations, solver: r.solver === 1 ? 'dct' : r.solver === 2 ? 'dct+pcg' : 'pcg' };
    },
  };
  return api;
}
