import type { LightField } from './lights.ts';
import type { Plane, PsKernelOptions } from './ps-kernel.ts';
import { solvePhotometricStereo, type PsOutput } from './ps.ts';

/**
 * Photometric stereo at a coarser scale where the per-pixel fit fails over a wide region.
 *
 * A holographic foil's grating or an embossed pattern modulates each light's reading from pixel to pixel
 * (its bright phase moves with the light's direction), so no single normal fits one pixel's readings: the
 * per-pixel solve returns a wandering normal with a low confidence, and the relief integrated from it
 * wanders by hundreds of µm, hiding a dent or fold pressed into the foil. Low-passed at the scale of a
 * block wider than the pattern's period (a Gaussian of σ = 0.75 block, sampled at the blocks' centres:
 * blockReadings), the modulation averages out for every light alike, and what is left is the block's
 * shading: a Lambertian fit again, at the block's resolution. Where that coarse fit is good the
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
  /** Raw value at or above which a reading is saturated (left out; a block with many leaves that light out: blockReadings). */
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
  /**
   * The block grid (frame px / blockPx, rounded up) and which of its blocks lent their normal to failed
   * pixels: there the normals, and the relief integrated from them, are smooth at the block's scale
   * (side.ts carries it to the canonical image as SideResult.blockSolved). Absent when no block did.
   */
  blocks?: BlockGrid;
}

/** A block grid of the frame and which of its blocks lent their normal to failed pixels. */
export interface BlockGrid { blockPx: number; widthBlocks: number; heightBlocks: number; used: Uint8Array }

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

/** Share of a block's kernel weight on saturated pixels above which that light is left out of the block. */
const maxSaturatedShare = 0.05;

/**
 * Each frame's reading at the centres of the blocks set in `solveBox` (a cw × ch window of the block grid
 * from block (x0, y0)), low-passed by a Gaussian of σ = 0.75 block (k px) over the mask's pixels.
 *
 * Why a Gaussian and not the block's own mean: a box of k px keeps up to a sixth of a pattern whose
 * period is near k (a grating of 0.37–0.39 mm in 0.42 mm blocks), and sampled once per block that rest
 * aliases into a beat a few blocks long, which differs from light to light (the grating's phase moves
 * with the light). The blocks then fit badly: confidence 0.83–0.89 on a second renderer's foils with such
 * a pitch (scripts/eval/foreign_card.py cards 11, 16, 108, 119), 0.01 for a 6 px grating along the rows
 * of 7 px blocks; and the relief shows ridges 3–4 mm apart. A Gaussian of σ = 0.75 k keeps under 0.2 % of
 * any period up to 1.3 k and 6 % at 2 k, whatever its direction; a wider one flattens small dents more (a
 * 90 µm dent of σ 0.9 mm reads 77 µm at 0.75 k, 71 µm at k). It is applied to the means of sub-blocks of
 * ⌈k/3⌉ px (exact for the sub-block's box, then separable on their grid), so the frames are read once. A
 * light whose saturated pixels hold more than maxSaturatedShare of a block's weight is left out there
 * (+Infinity, which the solve skips); below that, they are left out of its mean.
 */
async function blockReadings(planes: readonly Plane[], mask: Uint8Array | undefined, W: number, H: number, k: number, box: { x0: number; y0: number; cw: number; ch: number }, solveBox: Uint8Array, saturation: number): Promise<Float32Array[]> {
  const { x0: bx0, y0: by0, cw, ch } = box;
  const sigma = 0.75 * k, R = Math.ceil(3 * sigma);
  const s = Math.max(1, Math.ceil(k / 3));
  // The pixel window the kernels of the window's blocks reach, and its sub-block grid.
  const X0 = Math.max(0, bx0 * k - R), X1 = Math.min(W, (bx0 + cw) * k + R);
  const Y0 = Math.max(0, by0 * k - R), Y1 = Math.min(H, (by0 + ch) * k + R);
  const nx = Math.ceil((X1 - X0) / s), ny = Math.ceil((Y1 - Y0) / s);
  // Pixels on the mask per sub-block (the same for every frame).
  const count = new Float64Array(nx * ny);
  // Each column's sub-block (a division per pixel and frame costs more than the sums).
  const colSub = new Int32Array(X1 - X0);
  for (let x = X0; x < X1; x++) colSub[x - X0] = Math.floor((x - X0) / s);
  for (let y = Y0; y < Y1; y++) {
    const row = Math.floor((y - Y0) / s) * nx;
    for (let x = X0; x < X1; x++) if (!mask || mask[y * W + x]) count[row + colSub[x - X0]]++;
  }
  // Kernel taps from sub-blocks to block centres along x and along y: [first sub-block, weights].
  const taps = (blocks: number, first: number, origin: number, cells: number): { j0: Int32Array; w: Float64Array[] } => {
    const j0 = new Int32Array(blocks), w: Float64Array[] = [];
    for (let b = 0; b < blocks; b++) {
      const c = (first + b + 0.5) * k - 0.5;
      const lo = Math.max(0, Math.floor((c - R - origin) / s)), hi = Math.min(cells - 1, Math.floor((c + R - origin) / s));
      j0[b] = lo;
      const wb = new Float64Array(Math.max(0, hi - lo + 1));
      for (let j = lo; j <= hi; j++) { const d = origin + (j + 0.5) * s - 0.5 - c; wb[j - lo] = Math.exp((-d * d) / (2 * sigma * sigma)); }
      w.push(wb);
    }
    return { j0, w };
  };
  const tx = taps(cw, bx0, X0, nx), ty = taps(ch, by0, Y0, ny);
  const out: Float32Array[] = [];
  const sum = new Float64Array(nx * ny), good = new Float64Array(nx * ny);
  const hSum = new Float64Array(ny * cw), hGood = new Float64Array(ny * cw), hAll = new Float64Array(ny * cw);
  for (const plane of planes) {
    // Sub-block sums of the unsaturated pixels, and how many those are.
    sum.fill(0); good.fill(0);
    for (let y = Y0; y < Y1; y++) {
      if (y % sliceRows === sliceRows - 1) await yieldToLoop();
      const row = Math.floor((y - Y0) / s) * nx, p0 = y * W + X0;
      for (let x = 0; x < X1 - X0; x++) {
        const p = p0 + x;
        if (mask && !mask[p]) continue;
        const v = plane[p];
        if (!(v < saturation)) continue;
        const j = row + colSub[x];
        sum[j] += v; good[j]++;
      }
    }
    // Along x to the block columns, then along y to the block rows.
    for (let r = 0; r < ny; r++) {
      for (let b = 0; b < cw; b++) {
        const wb = tx.w[b], j0 = r * nx + tx.j0[b];
        let a = 0, g = 0, all = 0;
        for (let t = 0; t < wb.length; t++) { a += wb[t] * sum[j0 + t]; g += wb[t] * good[j0 + t]; all += wb[t] * count[j0 + t]; }
        hSum[r * cw + b] = a; hGood[r * cw + b] = g; hAll[r * cw + b] = all;
      }
    }
    const o = new Float32Array(cw * ch);
    for (let by = 0; by < ch; by++) {
      const wb = ty.w[by], r0 = ty.j0[by];
      for (let bx = 0; bx < cw; bx++) {
        if (!solveBox[by * cw + bx]) continue;
        let a = 0, g = 0, all = 0;
        for (let t = 0; t < wb.length; t++) { const q = (r0 + t) * cw + bx; a += wb[t] * hSum[q]; g += wb[t] * hGood[q]; all += wb[t] * hAll[q]; }
        o[by * cw + bx] = g > 0 && all - g <= maxSaturatedShare * all ? a / g : Infinity;
      }
    }
    out.push(o);
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

  // Each frame's reading at the solved blocks' centres, low-passed (see blockReadings).
  const cw = sx1 - sx0 + 1, ch = sy1 - sy0 + 1;
  const solveBox = new Uint8Array(cw * ch);
  for (let by = sy0; by <= sy1; by++) for (let bx = sx0; bx <= sx1; bx++) if (solve[by * bw + bx]) solveBox[(by - sy0) * cw + (bx - sx0)] = 1;
  const coarse = await blockReadings(planes, mask, W, H, k, { x0: sx0, y0: sy0, cw, ch }, solveBox, o.saturation);
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
  const used = new Uint8Array(bw * bh);
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
      used[own + colOwn[j]] = 1;
    }
  }
  if (pixelsReplaced === 0) return { blocksSolved, pixelsReplaced };
  return { blocksSolved, pixelsReplaced, blocks: { blockPx: k, widthBlocks: bw, heightBlocks: bh, used } };
}
