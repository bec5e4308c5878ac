import { createError } from '../../core/errors.ts';
import { loadVisionNative } from '../../vision/native.ts';
import type { CardSideMaps } from '../types.ts';

/** Source pixel ranges [x0[i], x1[i]) of each output column (or row) of an area-average resampling. */
function footprints(src: number, dst: number): { lo: Int32Array; hi: Int32Array } {
  const f = src / dst;
  const lo = new Int32Array(dst), hi = new Int32Array(dst);
  for (let x = 0; x < dst; x++) {
    lo[x] = Math.floor(x * f);
    hi[x] = Math.max(lo[x] + 1, Math.min(src, Math.floor((x + 1) * f)));
  }
  return { lo, hi };
}

/**
 * The side's maps at another scale (µm per px), for a model trained at one scale. Coarser: each output
 * pixel averages the source pixels in its footprint (area average, so thin scratches fade instead of
 * aliasing away); finer: bilinear. Normals are renormalised; the mask is the majority of the footprint.
 *
 * Coarser is the hot path (a 12 MP side to the model's 60 µm/px): one pass over the source rows in
 * order, each row's pixels added into per-output-column float64 sums, so every output pixel sums its
 * footprint in the same order (rows, then columns) as a per-pixel loop would, with the same result, but
 * without revisiting rows or calling a function per source pixel.
 */
export function resampleSideMaps(maps: CardSideMaps, umPerPx: number): CardSideMaps {
  if (Math.abs(maps.umPerPx - umPerPx) < 1e-6 * umPerPx) return maps;
  const out = emptyMapsAt(maps, umPerPx);
  if (umPerPx >= maps.umPerPx) areaAverageRows(maps, out, 0, out.heightPx);
  else bilinear(maps, out);
  nearestBlockSolved(maps, out);
  return out;
}

/**
 * The block-solved mask at the output's scale: each output pixel takes the source pixel at its centre. The
 * mask marks regions blocks wide (0.4 mm), so nearest is as good as any average, at either scale.
 */
function nearestBlockSolved(src: CardSideMaps, dst: CardSideMaps): void {
  if (!src.blockSolved) return;
  const W = src.widthPx, H = src.heightPx, w = dst.widthPx, h = dst.heightPx;
  const out = new Uint8Array(w * h);
  const fx = W / w, fy = H / h;
  for (let y = 0; y < h; y++) {
    const row = Math.min(H - 1, Math.floor((y + 0.5) * fy)) * W;
    for (let x = 0; x < w; x++) out[y * w + x] = src.blockSolved[row + Math.min(W - 1, Math.floor((x + 0.5) * fx))];
  }
  dst.blockSolved = out;
}

/** The size in px that resampling `maps` to `umPerPx` gives. */
export function resampledSizePx(maps: Pick<CardSideMaps, 'widthPx' | 'heightPx' | 'umPerPx'>, umPerPx: number): { widthPx: number; heightPx: number } {
  const f = umPerPx / maps.umPerPx;
  return { widthPx: Math.max(1, Math.round(maps.widthPx / f)), heightPx: Math.max(1, Math.round(maps.heightPx / f)) };
}

/** Empty maps of `maps`' side at another scale (the size resampling gives). */
function emptyMapsAt(maps: CardSideMaps, umPerPx: number): CardSideMaps {
  const { widthPx: w, heightPx: h } = resampledSizePx(maps, umPerPx);
  const out: CardSideMaps = { side: maps.side, widthPx: w, heightPx: h, umPerPx, mask: new Uint8Array(w * h), normals: new Float32Array(3 * w * h), albedo: new Float32Array(w * h), reliefUm: new Float32Array(w * h) };
  // The PS confidence rides along (averaged like the albedo): the surface model reads it.
  if (maps.confidence) out.confidence = new Float32Array(w * h);
  return out;
}

/** Rows per slice of the TypeScript fallback between turns of the event loop. */
const TS_SLICE_ROWS = 64;

/**
 * {@link resampleSideMaps} off the event loop: coarser scales run in the native kernel
 * (native/vision/resample.c, one band per core on libuv's pool; albedo, relief, confidence and mask
 * identical to the TypeScript, normals within a float's last bit), or without it in TypeScript slices
 * between which the event loop turns. `backend` forces one ('native' fails when the addon is not built).
 */
export async function resampleSideMapsAsync(maps: CardSideMaps, umPerPx: number, options: { backend?: 'auto' | 'native' | 'ts' } = {}): Promise<CardSideMaps> {
  if (Math.abs(maps.umPerPx - umPerPx) < 1e-6 * umPerPx) return maps;
  // Finer than the maps (a camera coarser than the model's scale) is bilinear and rare: TypeScript.
  if (umPerPx < maps.umPerPx) return resampleSideMaps(maps, umPerPx);
  const out = emptyMapsAt(maps, umPerPx);
  const h = out.heightPx;
  const native = options.backend === 'ts' ? undefined : await loadVisionNative();
  if (options.backend === 'native' && !native?.resampleArea) throw createError('GB_VISION_FAILED', 'native resampling is not built (run `node native/vision/build.mjs`)');
  if (native?.resampleArea) {
    const bands = Math.max(1, Math.min(native.threads, h));
    const step = Math.ceil(h / bands);
    const jobs: Promise<void>[] = [];
    for (let y0 = 0; y0 < h; y0 += step) jobs.push(native.resampleArea({ src: maps, dst: out, y0, y1: Math.min(h, y0 + step) }));
    await Promise.all(jobs);
    nearestBlockSolved(maps, out);
    return out;
  }
  for (let y0 = 0; y0 < h; y0 += TS_SLICE_ROWS) {
    areaAverageRows(maps, out, y0, Math.min(h, y0 + TS_SLICE_ROWS));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  nearestBlockSolved(maps, out);
  return out;
}

/** Output rows [y0, y1) of the area average of `src` into `dst` (its size fixes the footprints). */
export function areaAverageRows(src: CardSideMaps, dst: CardSideMaps, y0: number, y1: number): void {
  const sw = src.widthPx, sh = src.heightPx, w = dst.widthPx, h = dst.heightPx;
  const { mask, normals, albedo, reliefUm } = src;
  const conf = dst.confidence ? src.confidence : undefined;
  const cols = footprints(sw, w), rows = footprints(sh, h);
  // Per output column: weight, on-card weight, normal x/y/z, albedo, relief, PS confidence.
  const n = new Float64Array(w), on = new Float64Array(w), nx = new Float64Array(w), ny = new Float64Array(w), nz = new Float64Array(w);
  const a = new Float64Array(w), r = new Float64Array(w), c = new Float64Array(w);
  const { lo, hi } = cols;
  for (let y = y0; y < y1; y++) {
    n.fill(0); on.fill(0); nx.fill(0); ny.fill(0); nz.fill(0); a.fill(0); r.fill(0); c.fill(0);
    for (let yy = rows.lo[y]; yy < rows.hi[y]; yy++) {
      const row = yy * sw;
      for (let x = 0; x < w; x++) {
        let sn = n[x], son = on[x], sx = nx[x], sy = ny[x], sz = nz[x], sa = a[x], sr = r[x];
        for (let i = row + lo[x], e = row + hi[x]; i < e; i++) {
          sn += 1;
          if (mask[i]) son += 1;
          sx += normals[3 * i]; sy += normals[3 * i + 1]; sz += normals[3 * i + 2];
          sa += albedo[i]; sr += reliefUm[i];
        }
        n[x] = sn; on[x] = son; nx[x] = sx; ny[x] = sy; nz[x] = sz; a[x] = sa; r[x] = sr;
        if (conf) {
          let sc = c[x];
          for (let i = row + lo[x], e = row + hi[x]; i < e; i++) sc += conf[i];
          c[x] = sc;
        }
      }
    }
    for (let x = 0; x < w; x++) store(dst, y * w + x, n[x], on[x], nx[x], ny[x], nz[x], a[x], r[x], c[x]);
  }
}

/** Write one output pixel from its weighted sums. */
function store(dst: CardSideMaps, o: number, n: number, on: number, nx: number, ny: number, nz: number, a: number, r: number, c: number): void {
  const len = Math.hypot(nx, ny, nz) || 1;
  dst.normals[3 * o] = nx / len; dst.normals[3 * o + 1] = ny / len; dst.normals[3 * o + 2] = nz / len;
  dst.albedo[o] = a / n;
  dst.reliefUm[o] = r / n;
  if (dst.confidence) dst.confidence[o] = c / n;
  dst.mask[o] = on * 2 >= n ? 1 : 0;
}

/** Finer than the source: bilinear between the four nearest source pixels. */
function bilinear(src: CardSideMaps, dst: CardSideMaps): void {
  const sw = src.widthPx, sh = src.heightPx, w = dst.widthPx, h = dst.heightPx;
  const { mask, normals, albedo, reliefUm } = src;
  const fx = sw / w, fy = sh / h;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5));
    const iy = Math.min(sh - 2, Math.floor(sy)), ty = sy - iy;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5));
      const ix = Math.min(sw - 2, Math.floor(sx)), tx = sx - ix;
      const i00 = iy * sw + ix;
      const idx = [i00, i00 + 1, i00 + sw, i00 + sw + 1];
      const wts = [(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty];
      let n = 0, on = 0, nx = 0, ny = 0, nz = 0, a = 0, r = 0, c = 0;
      for (let k = 0; k < 4; k++) {
        const i = idx[k], wt = wts[k];
        n += wt;
        if (mask[i]) on += wt;
        nx += wt * normals[3 * i]; ny += wt * normals[3 * i + 1]; nz += wt * normals[3 * i + 2];
        a += wt * albedo[i]; r += wt * reliefUm[i];
        if (src.confidence) c += wt * src.confidence[i];
      }
      store(dst, y * w + x, n, on, nx, ny, nz, a, r, c);
    }
  }
}
