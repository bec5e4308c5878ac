import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroundTruthBuffers, ShadingJob } from './shading-kernel.ts';
import { exposeParams, noiseTable, type SynthesisJob } from './sensor-kernel.ts';

// Optional C shading kernel (native/render/shade.c, see native/render/README.md), built by
// `node native/render/build.mjs` (also run, never fatally, by the package's postinstall). Each call is one
// napi async work item on libuv's thread pool, so the event loop keeps running; the renderer splits a
// render into bands (interleaved row blocks) to use both cores.

/** Path of the built addon. */
export const renderAddonPath = fileURLToPath(new URL('../../../native/render/build/gradebooth_render.node', import.meta.url));

interface RawAddon {
  shade(
    params: Float64Array,
    lights: Float64Array,
    ledIndex: Int32Array,
    basis: Float32Array[],
    maps: (Float32Array | Uint8Array | Uint16Array)[] | null,
    truth: (Float32Array | Uint8Array | Uint16Array)[] | null,
  ): Promise<void>;
  expose(params: Float64Array, basis: Float32Array[], weights: Float64Array, table: Float32Array, out: Uint16Array): Promise<void>;
}

/** Rows per block dealt round-robin to the bands (small enough to balance card and tray rows). */
const BLOCK_ROWS = 64;

/** The loaded native shading kernel. */
export interface RenderNative {
  /** Shade rows [rowStart, rowEnd) of job: band `band` of `bands` takes every bands-th block of rows. */
  shade(job: Omit<ShadingJob, 'kernel'>, heightPx: number, band: number, bands: number): Promise<void>;
  /** Expose rows [rowStart, rowEnd) of one frame: the same codes as synthesizeRows (the JS reference). */
  expose(job: Omit<SynthesisJob, 'kernel' | 'arena' | 'slot'>, heightPx: number): Promise<void>;
}

let cached: RenderNative | null | undefined;

/** Load the native kernel once; null when the addon is not built or does not load here. */
export function loadRenderNative(): RenderNative | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (!existsSync(renderAddonPath)) return cached;
  let raw: RawAddon;
  try {
    raw = createRequire(import.meta.url)(renderAddonPath) as RawAddon;
  } catch {
    return cached;
  }
  cached = {
    shade(job, heightPx, band, bands) {
      const cam = job.camera;
      const surf = job.surface;
      const sph = job.sphere;
      const m = surf?.maps;
      const params = Float64Array.from([
        cam.widthPx, heightPx, cam.fxPx, cam.fyPx, cam.cxPx, cam.cyPx, cam.k1, cam.k2, ...cam.rotation, ...cam.positionMm,
        cam.naturalVignetting ? 1 : 0, job.lights.mode === 'near' ? 1 : 0, job.responsivity,
        job.tray.albedo, job.tray.roughness, job.tray.specularF0,
        surf ? 1 : 0, m?.widthPx ?? 0, m?.heightPx ?? 0, m?.pitchMm ?? 0, surf?.cosR ?? 1, surf?.sinR ?? 0, surf?.xMm ?? 0, surf?.yMm ?? 0,
        sph ? 1 : 0, ...(sph ? [...sph.center, sph.radiusMm, sph.material.albedo, sph.material.roughness, sph.material.specularF0] : [0, 0, 0, 0, 0, 0, 0]),
        job.rowStart, job.rowEnd, band, bands, BLOCK_ROWS,
      ]);
      const maps = m ? [m.height, m.albedo, m.roughness, m.specularF0, m.slopeU, m.slopeV, m.cover, m.label] : null;
      const t: GroundTruthBuffers | null = job.truth;
      const truth = t ? [t.normal, t.height, t.albedo, t.cover, t.label] : null;
      return raw.shade(params, job.lights.params, Int32Array.from(job.ledIndices), job.basis, maps, truth);
    },
    expose(job, heightPx) {
      const p = exposeParams(job);
      const params = Float64Array.from([
        job.width, heightPx, job.rowStart, job.rowEnd, job.seed | 0, job.noise ? 1 : 0,
        p.read2, p.full, p.k, p.off, p.adcMax, p.shift, p.mulShift,
      ]);
      return raw.expose(params, job.basis, Float64Array.from(job.weights), noiseTable(), job.out);
    },
  };
  return cached;
}
