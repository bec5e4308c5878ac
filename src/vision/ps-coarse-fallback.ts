import type { LightField } from './lights.ts';
import type { Plane, PsKernelOptions } from './ps-kernel.ts';
import { solvePhotometricStereo, type PsOutput } from './ps.ts';

/**
 * Photometric stereo at a coarser scale where the per-pixel fit fails over a wide region.
 *
 * A holographic foil's grating or an embossed pattern modulates each light's reading from pixel to pixel
 * (its bright phase moves with the light's direction), so no single normal fits one pixel's readings: the
 * per-pixel solve returns a wandering normal with a low confidence, and the relief integrated from it
 * wanders by hundreds of µm, hiding a dent or fold pressed into the foil. Averaged over a block wider than
 * the pattern's period, the modulation averages out for every light alike, and what is left is the
 * block's shading: a Lambertian fit again, at the block's resolution. Where that coarse fit is good the
 * block's normal replaces the failed per-pixel ones (interpolated between block centres); where it is not
 * (a mirror-like metallised foil stays specular at any scale), nothing changes and the region keeps its
 * low confidence, which the surface model reads as "not surface".
 *
 * Only wide regions take part: a block must be mostly low-confidence and so must its 8 neighbours (an
 * opening of the block grid), so that a scratch's or a crease's own shadowed pixels, a few blocks wide at
 * most, keep their per-pixel normals.
 */
export interface CoarseFallbackOptions {
  /** Block edge, px of the frames (about 0.4 mm on the card: wider than print screens and foil gratings). */
  blockPx: number;
  /** Per-pixel confidence below which a pixel failed the fit. */
  lowConfidence: number;
  /** Coarse confidence at or above which a block's normal is used. */
  minCoarseConfidence: number;
  /** Raw value at or above which a reading is saturated: a block with one is left out for that light. */
  saturation: number;
  ps?: Partial<PsKernelOptions>;
}

export const defaultCoarseFallback = { blockMm: 0.4, lowConfidence: 0.3, minCoarseConfidence: 0.8 };

// The daemon serves the UI and talks to the rig while a side is reconstructed: the passes over the frames
// run in TypeScript, so they yield to the event loop every this many rows (as the TS solve does).
const sliceRows = 64;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What the fallback did. */
export interface CoarseFallbackResult {
  /** Blocks solved (the wide low-confidence regions and a ring of one block around them). */
  blocksSolved: number;
  /** Per-pixel normals replaced by the coarse fit. */
  pixelsReplaced: number;
}

/**
 * A light field on a bw × bh window of the block grid whose first block is (bx0, by0): each block tile
 * takes the light vectors of the frame tile at its centre.
 */
function blockField(field: LightField, bw: number, bh: number, k: number, bx0: number, by0: number): LightField {
  const tileSize = Math.max(1, Math.floor(field.tileSize / k));
  const tilesX = Math.ceil(bw / tileSize), tilesY = Math.ceil(bh / tileSize);
  const n = field.count;
  const vectors = new Float32Array(tilesX * tilesY * n * 3);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const cx = Math.min(field.width - 1, Math.floor((bx0 + tx * tileSize + tileSize / 2) * k));
      const cy = Math.min(field.height - 1, Math.floor((by0 + ty * tileSize + tileSize / 2) * k));
      const src = (Math.floor(cy / field.tileSize) * field.tilesX + Math.floor(cx / field.tileSize)) * n * 3;
      vectors.set(field.vectors.subarray(src, src + n * 3), (ty * tilesX + tx) * n * 3);
    }
  }
  return { width: bw, height: bh, tileSize, tilesX, tilesY, count: n, vectors };
}

/** Blocks set in `m` whose 8 neighbours are all set too, grown back by one block inside `m` (an opening). */
function openBlocks(m: Uint8Array, bw: number, bh: number): Uint8Array {
  const core = new Uint8Array(bw * bh);
  for (let y = 1; y < bh - 1; y++) {
    for (let x = 1; x < bw - 1; x++) {
      let all = 1;
      for (let dy = -1; dy <= 1 && all; dy++) for (let dx = -1; dx <= 1; dx++) if (!m[(y + dy) * bw + x + dx]) { all = 0; break; }
      core[y * bw + x] = all;
    }
  }
  return grow(core, bw, bh, m);
}

/** `m` grown by one block (8-neighbourhood), kept inside `within` when given. */
function grow(m: Uint8Array, bw: number, bh: number, within?: Uint8Array): Uint8Array {
  const out = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const b = y * bw + x;
      if (within && !within[b]) continue;
      let any = 0;
      for (let dy = -1; dy <= 1 && !any; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= bh) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < bw && m[yy * bw + xx]) { any = 1; break; }
        }
      }
      out[b] = any;
    }
  }
  return out;
}

/**
 * Replace the per-pixel solve's normals and confidence, in place in `ps`, where a wide region failed the
 * per-pixel fit and its blocks fit (see {@link CoarseFallbackOptions}). Albedo stays the per-pixel one: the
 * print's detail is real even where the shading is not Lambertian. `mask`: the pixels solved (the card).
 */
export async function coarseFallback(planes: readonly Plane[], field: LightField, ps: PsOutput, mask: Uint8Array | undefined, o: CoarseFallbackOptions): Promise<CoarseFallbackResult> {
  const { width: W, height: H } = field;
  const k = Math.max(2, Math.round(o.blockPx));
  const bw = Math.ceil(W / k), bh = Math.ceil(H / k);
  // Blocks that are mostly solved pixels and mostly failed ones.
  const failed = new Uint8Array(bw * bh);
  const solvedPx = new Int32Array(bw * bh), lowPx = new Int32Array(bw * bh);
  for (let y = 0; y < H; y++) {
    if (y % sliceRows === sliceRows - 1) await yieldToLoop();
    const brow = Math.floor(y / k) * bw;
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (mask && !mask[p]) continue;
      const b = brow + Math.floor(x / k);
      solvedPx[b]++;
      if (ps.confidence[p] < o.lowConfidence) lowPx[b]++;
    }
  }
  let any = false;
  for (let b = 0; b < bw * bh; b++) {
    if (2 * solvedPx[b] >= k * k && 2 * lowPx[b] >= solvedPx[b]) { failed[b] = 1; any = true; }
  }
  if (!any) return { blocksSolved: 0, pixelsReplaced: 0 };
  const wide = openBlocks(failed, bw, bh);
  // Solve a ring of one block around the wide regions too, so interpolation at their edges has neighbours.
  const solve = grow(wide, bw, bh);
  for (let b = 0; b < bw * bh; b++) if (solvedPx[b] === 0) solve[b] = 0;
  // How many, and their bounding box: the coarse frames cover only that, with a light field per block.
  let blocksSolved = 0, sx0 = bw, sx1 = -1, sy0 = bh, sy1 = -1;
  for (let b = 0; b < bw * bh; b++) {
    if (!solve[b]) continue;
    blocksSolved++;
    const bx = b % bw, by = (b - bx) / bw;
    sx0 = Math.min(sx0, bx); sx1 = Math.max(sx1, bx);
    sy0 = Math.min(sy0, by); sy1 = Math.max(sy1, by);
  }
  if (blocksSolved === 0) return { blocksSolved: 0, pixelsReplaced: 0 };

  // Block means of each frame over the block's solved pixels (for the solved blocks and their neighbours);
  // a saturated reading makes the block's mean +Infinity for that light, which the solve skips.
  const near = grow(solve, bw, bh);
  const means: Float32Array[] = planes.map(() => new Float32Array(bw * bh));
  for (let by = 0; by < bh; by++) {
    if ((by * k) % sliceRows < k) await yieldToLoop();
    for (let bx = 0; bx < bw; bx++) {
      const b = by * bw + bx;
      if (!near[b] || solvedPx[b] === 0) continue;
      const y0 = by * k, y1 = Math.min(H, y0 + k), x0 = bx * k, x1 = Math.min(W, x0 + k);
      for (let i = 0; i < planes.length; i++) {
        const plane = planes[i];
        let sum = 0;
        for (let y = y0; y < y1 && sum !== Infinity; y++) {
          for (let x = x0; x < x1; x++) {
            const p = y * W + x;
            if (mask && !mask[p]) continue;
            const v = plane[p];
            if (!(v < o.saturation)) { sum = Infinity; break; }
            sum += v;
          }
        }
        means[i][b] = sum / solvedPx[b];
      }
    }
  }
  // Then a [1 2 1] tent over the block means in x and y: a box of one block leaves up to a fifth of a
  // pattern whose period is near the block's (a 0.3 mm grating in a 0.42 mm block), and sampled once per
  // block that rest aliases into stripes a few blocks apart, which the relief shows as a row of folds;
  // the tent takes it under 5 % for periods from a third of a block to a block.
  const cw = sx1 - sx0 + 1, ch = sy1 - sy0 + 1;
  const coarse: Float32Array[] = planes.map(() => new Float32Array(cw * ch));
  const solveBox = new Uint8Array(cw * ch);
  const tap = [1, 2, 1];
  for (let by = sy0; by <= sy1; by++) {
    for (let bx = sx0; bx <= sx1; bx++) {
      const b = by * bw + bx;
      if (!solve[b]) continue;
      const cb = (by - sy0) * cw + (bx - sx0);
      solveBox[cb] = 1;
      for (let i = 0; i < planes.length; i++) {
        let sum = 0, wsum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = by + dy;
          if (yy < 0 || yy >= bh) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = bx + dx;
            const nb = yy * bw + xx;
            if (xx < 0 || xx >= bw || solvedPx[nb] === 0) continue;
            const wgt = tap[dy + 1] * tap[dx + 1];
            sum += wgt * means[i][nb];
            wsum += wgt;
          }
        }
        coarse[i][cb] = sum / wsum;
      }
    }
  }
  const fit = await solvePhotometricStereo(coarse, blockField(field, cw, ch, k, sx0, sy0), { ...o.ps, saturation: Infinity, mask: solveBox });

  // Failed pixels of the wide regions and of the ring of blocks around them take the coarse normal,
  // bilinear between the centres of the blocks around them that fit (weights renormalised over those),
  // when their own block fits. The ring matters: a block across the region's edge is less than half
  // failed, and its failed pixels, left alone, would be a strip of wandering normals along the edge,
  // which the relief shows as a row of short scratches.
  const good = new Uint8Array(bw * bh);
  const bn = new Float32Array(3 * bw * bh), bc = new Float32Array(bw * bh);
  for (let by = sy0; by <= sy1; by++) {
    for (let bx = sx0; bx <= sx1; bx++) {
      const b = by * bw + bx, cb = (by - sy0) * cw + (bx - sx0);
      if (!solve[b] || !(fit.confidence[cb] >= o.minCoarseConfidence)) continue;
      good[b] = 1;
      bn[3 * b] = fit.normals[3 * cb]; bn[3 * b + 1] = fit.normals[3 * cb + 1]; bn[3 * b + 2] = fit.normals[3 * cb + 2];
      bc[b] = fit.confidence[cb];
    }
  }
  // Per column: the two block columns around the pixel's centre, the weight of the second, its own block.
  const x0 = sx0 * k, x1 = Math.min(W, (sx1 + 1) * k);
  const colB0 = new Int32Array(x1 - x0), colB1 = new Int32Array(x1 - x0), colW = new Float64Array(x1 - x0), colOwn = new Int32Array(x1 - x0);
  for (let x = x0; x < x1; x++) {
    const fx = (x + 0.5) / k - 0.5;
    const b0 = Math.max(0, Math.min(bw - 1, Math.floor(fx)));
    colB0[x - x0] = b0; colB1[x - x0] = Math.min(bw - 1, b0 + 1); colW[x - x0] = Math.max(0, Math.min(1, fx - b0)); colOwn[x - x0] = Math.floor(x / k);
  }
  let pixelsReplaced = 0;
  for (let y = sy0 * k; y < Math.min(H, (sy1 + 1) * k); y++) {
    if (y % sliceRows === sliceRows - 1) await yieldToLoop();
    const fy = (y + 0.5) / k - 0.5;
    const by0 = Math.max(0, Math.min(bh - 1, Math.floor(fy))), by1 = Math.min(bh - 1, by0 + 1);
    const wy = Math.max(0, Math.min(1, fy - by0));
    const own = Math.floor(y / k) * bw, r0 = by0 * bw, r1 = by1 * bw;
    for (let x = x0; x < x1; x++) {
      const p = y * W + x, j = x - x0;
      if ((mask && !mask[p]) || !(ps.confidence[p] < o.lowConfidence) || !good[own + colOwn[j]]) continue;
      const wx = colW[j];
      let nx = 0, ny = 0, nz = 0, c = 0, wsum = 0;
      // The four block centres around the pixel, each when it fits.
      for (let q = 0; q < 4; q++) {
        const b = (q < 2 ? r0 : r1) + ((q & 1) === 0 ? colB0[j] : colB1[j]);
        const w = ((q & 1) === 0 ? 1 - wx : wx) * (q < 2 ? 1 - wy : wy);
        if (w <= 0 || !good[b]) continue;
        nx += w * bn[3 * b]; ny += w * bn[3 * b + 1]; nz += w * bn[3 * b + 2];
        c += w * bc[b];
        wsum += w;
      }
      const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
      if (!(wsum > 0) || !(len > 0)) continue;
      ps.normals[3 * p] = nx / len; ps.normals[3 * p + 1] = ny / len; ps.normals[3 * p + 2] = nz / len;
      ps.confidence[p] = c / wsum;
      pixelsReplaced++;
    }
  }
  return { blocksSolved, pixelsReplaced };
}
