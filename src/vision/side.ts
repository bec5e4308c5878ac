import type { LightField } from './lights.ts';
import type { Plane, PsKernelOptions } from './ps-kernel.ts';
import { solvePhotometricStereo, type PsOutput } from './ps.ts';
import { coarseFallback, defaultCoarseFallback, type BlockGrid, type CoarseFallbackResult } from './ps-coarse-fallback.ts';
import { segmentCard, standardCard, type CardOutline, type CardSpec } from './segment.ts';
import { imageCardMask, roundedRectMask, warpImagesToCanonicalAsync } from './rectify.ts';
import { integrateNormals } from './integrate.ts';
import { removeWarp, type WarpFit } from './warp.ts';

/** Everything one side of a card needs: calibrated frames (dark-subtracted) and their light field. */
export interface SideInput {
  /** One single-channel frame per light, camera frame, width × height. */
  planes: readonly Plane[];
  width: number;
  height: number;
  /** Light vectors in the camera frame (near-field from calibration, or distant). */
  lights: LightField;
  card?: CardSpec;
  /** Approximate camera scale, µm per px. */
  umPerPx: number;
  /** µm per canonical px (default: camera scale rounded). */
  canonicalUmPerPx?: number;
  ps?: Partial<PsKernelOptions>;
  /** Polynomial degree of the warp removed from the height (default 2; 0 keeps the raw height). */
  warpDegree?: number;
  /**
   * Canonical px of background kept around the card on every side (default 0): graders see the outline
   * (corner rounding, chips) against the tray. The card then spans [m − 0.5, m + cw − 0.5] in x.
   */
  marginPx?: number;
  /**
   * Photometric stereo at blocks of this size, mm, where a wide region fails the per-pixel fit (holo
   * gratings: ps-coarse-fallback.ts); default 0.4; false: per-pixel only.
   */
  coarseBlockMm?: number | false;
}

/**
 * The outline with its canonical image grown by `m` px of background on every side (a shift of the canonical
 * frame: canonical (x, y) with margin = (x − m, y − m) without).
 */
export function outlineWithMargin(outline: CardOutline, m: number): CardOutline {
  if (m === 0) return outline;
  const H = outline.canonicalToImage;
  return {
    ...outline,
    canonicalWidth: outline.canonicalWidth + 2 * m,
    canonicalHeight: outline.canonicalHeight + 2 * m,
    canonicalToImage: [H[0], H[1], H[2] - m * (H[0] + H[1]), H[3], H[4], H[5] - m * (H[3] + H[4]), H[6], H[7], H[8] - m * (H[6] + H[7])],
  };
}

/** Milliseconds per stage of {@link reconstructSide}. */
export interface SideTimings { segment: number; ps: number; rectify: number; integrate: number; warp: number; total: number }

/** Process CPU time so far (user + system, all threads), ms. */
function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The reconstructed side in the canonical card frame (x right, y up, z towards the camera). */
export interface SideResult {
  outline: CardOutline;
  /** Background px kept around the card on each side (SideInput.marginPx). */
  marginPx: number;
  width: number;
  height: number;
  umPerPx: number;
  /** Rounded-rectangle card mask. */
  mask: Uint8Array;
  normals: Float32Array;
  albedo: Float32Array;
  confidence: Float32Array;
  /** Height in µm with the warp removed (relief: dents, creases), zero outside the mask. */
  reliefUm: Float32Array;
  warp: WarpFit | undefined;
  timingsMs: SideTimings;
  /** Process CPU time (all threads) per stage: the work, independent of how loaded the machine is. */
  cpuMs: SideTimings;
  backend: 'native' | 'ts';
  /** Where the per-pixel fit failed over a wide region and blocks of SideInput.coarseBlockMm fit instead. */
  coarse: CoarseFallbackResult;
  /**
   * 1 where the normals came from the block-scale solve (canonical px, as `mask`): the relief there is
   * smooth at the block's scale, so a scratch narrower than a block is a shallow, blurred groove (the
   * surface detector looks for it there on its own: grading/surface/block-scratches.ts). Absent when no
   * block was used.
   */
  blockSolved?: Uint8Array;
}

// Camera-frame PS outputs are intermediate (only their rectified copies are returned): a booth reuses
// them from side to side instead of page-faulting ~250 MB of fresh buffers per 12 MP side. A pool, so
// concurrent reconstructions never share one set; one idle set is kept.
const psScratch: PsOutput[] = [];

function takePsScratch(count: number): PsOutput {
  const k = psScratch.findIndex((o) => o.albedo.length === count);
  if (k >= 0) return psScratch.splice(k, 1)[0];
  return { normals: new Float32Array(3 * count), albedo: new Float32Array(count), confidence: new Float32Array(count) };
}

function returnPsScratch(o: PsOutput): void {
  psScratch.length = 0;
  psScratch.push(o);
}

/**
 * The fallback's used blocks (camera frame) on the canonical image: each canonical pixel takes the block
 * its centre maps into (nearest: the mask marks regions many pixels wide, and the bilinear normals between
 * block centres already spread each block's fit over its neighbours). In slices of rows that yield to the
 * event loop, as the other passes do.
 */
async function canonicalBlockMask(grid: BlockGrid, outline: CardOutline): Promise<Uint8Array> {
  const { canonicalToImage: H, canonicalWidth: cw, canonicalHeight: ch } = outline;
  const { blockPx: k, widthBlocks: bw, heightBlocks: bh, used } = grid;
  const out = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    if (y % 128 === 127) await new Promise<void>((resolve) => setImmediate(resolve));
    // The projective numerators stepped along the row, as warpRows does.
    let nx = H[1] * y + H[2], ny = H[4] * y + H[5], nw = H[7] * y + H[8];
    for (let x = 0; x < cw; x++) {
      // Frame pixel p is centred at p: the pixel nearest the point is round(s), its block round(s) / k.
      const bx = Math.floor((nx / nw + 0.5) / k), by = Math.floor((ny / nw + 0.5) / k);
      nx += H[0]; ny += H[3]; nw += H[6];
      if (bx >= 0 && by >= 0 && bx < bw && by < bh && used[by * bw + bx]) out[y * cw + x] = 1;
    }
  }
  return out;
}

/**
 * One card side from frames to relief: segmentation on all lights (see segmentCard), photometric stereo in the
 * camera frame inside the card only, rectification of normals/albedo/confidence to the canonical card
 * image, integration on the rounded-rectangle mask, warp removal.
 */
export async function reconstructSide(input: SideInput): Promise<SideResult> {
  const t0 = performance.now();
  const c0 = cpuNowMs();
  const card = input.card ?? standardCard;
  const outline = segmentCard(input.planes, input.width, input.height, { card, umPerPx: input.umPerPx, canonicalUmPerPx: input.canonicalUmPerPx });
  const t1 = performance.now();
  const c1 = cpuNowMs();
  const marginPx = Math.max(0, Math.round(input.marginPx ?? 0));
  // Two pixels of margin so bilinear rectification at the card edge reads solved pixels (plus the kept
  // background margin, in image px).
  const imgMask = imageCardMask(outline, input.width, input.height, 2 + Math.ceil((marginPx * outline.canonicalUmPerPx) / outline.umPerPx));
  // Integer frames use full scale as "saturated" (the capture and the simulator clip there).
  const p0 = input.planes[0];
  const saturation = p0 instanceof Uint16Array ? 65535 : p0 instanceof Uint8Array ? 255 : Infinity;
  const scratch = takePsScratch(input.width * input.height);
  const psOptions = { saturation, ...input.ps };
  const ps = await solvePhotometricStereo(input.planes, input.lights, { ...psOptions, mask: imgMask, out: scratch });
  const blockMm = input.coarseBlockMm ?? defaultCoarseFallback.blockMm;
  const coarse = blockMm === false
    ? { blocksSolved: 0, pixelsReplaced: 0 }
    : await coarseFallback(input.planes, input.lights, ps, imgMask, { ...defaultCoarseFallback, blockPx: (blockMm * 1000) / input.umPerPx, saturation: psOptions.saturation, ps: input.ps });
  const t2 = performance.now();
  const c2 = cpuNowMs();
  const cw = outline.canonicalWidth + 2 * marginPx, ch = outline.canonicalHeight + 2 * marginPx;
  // The margin is a shift of the canonical frame: canonical (x, y) with margin = (x − m, y − m) without.
  const m = marginPx;
  const shifted = outlineWithMargin(outline, m);
  // One resampling pass for all three (the source position of each canonical pixel is computed once).
  const [normals, albedo, confidence] = await warpImagesToCanonicalAsync([
    { src: ps.normals, channels: 3, normals: true },
    { src: ps.albedo, channels: 1 },
    { src: ps.confidence, channels: 1 },
  ], input.width, input.height, shifted);
  returnPsScratch(scratch);
  const blockSolved = coarse.blocks ? await canonicalBlockMask(coarse.blocks, shifted) : undefined;
  const cardMask = roundedRectMask(outline.canonicalWidth, outline.canonicalHeight, (card.cornerRadiusMm * 1000) / outline.canonicalUmPerPx);
  let mask = cardMask;
  if (m > 0) {
    mask = new Uint8Array(cw * ch);
    for (let y = 0; y < outline.canonicalHeight; y++) mask.set(cardMask.subarray(y * outline.canonicalWidth, (y + 1) * outline.canonicalWidth), (y + m) * cw + m);
  }
  const t3 = performance.now();
  const c3 = cpuNowMs();
  const depth = await integrateNormals(normals, cw, ch, { mask });
  const t4 = performance.now();
  const c4 = cpuNowMs();
  const reliefUm = depth.heightPx;
  const degree = input.warpDegree ?? 2;
  const k = outline.canonicalUmPerPx;
  // Warp removal and px → µm in one pass over the map.
  let warp: WarpFit | undefined;
  if (degree > 0) warp = removeWarp(reliefUm, cw, ch, mask, degree, k);
  else for (let i = 0; i < reliefUm.length; i++) reliefUm[i] *= k;
  const t5 = performance.now();
  const c5 = cpuNowMs();
  return {
    outline, marginPx, width: cw, height: ch, umPerPx: k, mask, normals, albedo, confidence, reliefUm, warp, backend: ps.backend, coarse,
    ...(blockSolved ? { blockSolved } : {}),
    timingsMs: { segment: t1 - t0, ps: t2 - t1, rectify: t3 - t2, integrate: t4 - t3, warp: t5 - t4, total: t5 - t0 },
    cpuMs: { segment: c1 - c0, ps: c2 - c1, rectify: c3 - c2, integrate: c4 - c3, warp: c5 - c4, total: c5 - c0 },
  };
}
