import type { LightField } from './lights.ts';
import type { Plane, PsKernelOptions } from './ps-kernel.ts';
import { solvePhotometricStereo } from './ps.ts';
import { segmentCard, standardCard, type CardOutline, type CardSpec } from './segment.ts';
import { imageCardMask, roundedRectMask, warpToCanonicalAsync } from './rectify.ts';
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
}

/** The reconstructed side in the canonical card frame (x right, y up, z towards the camera). */
export interface SideResult {
  outline: CardOutline;
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
  timingsMs: { segment: number; ps: number; rectify: number; integrate: number; warp: number; total: number };
  backend: 'native' | 'ts';
}

/**
 * One card side from frames to relief: segmentation on all lights (see segmentCard), photometric stereo in the
 * camera frame inside the card only, rectification of normals/albedo/confidence to the canonical card
 * image, integration on the rounded-rectangle mask, warp removal.
 */
export async function reconstructSide(input: SideInput): Promise<SideResult> {
  const t0 = performance.now();
  const card = input.card ?? standardCard;
  const outline = segmentCard(input.planes, input.width, input.height, { card, umPerPx: input.umPerPx, canonicalUmPerPx: input.canonicalUmPerPx });
  const t1 = performance.now();
  // Two pixels of margin so bilinear rectification at the card edge reads solved pixels.
  const imgMask = imageCardMask(outline, input.width, input.height, 2);
  // Integer frames use full scale as "saturated" (the capture and the simulator clip there).
  const p0 = input.planes[0];
  const saturation = p0 instanceof Uint16Array ? 65535 : p0 instanceof Uint8Array ? 255 : Infinity;
  const ps = await solvePhotometricStereo(input.planes, input.lights, { saturation, ...input.ps, mask: imgMask });
  const t2 = performance.now();
  const cw = outline.canonicalWidth, ch = outline.canonicalHeight;
  const [normals, albedo, confidence] = await Promise.all([
    warpToCanonicalAsync(ps.normals, input.width, input.height, 3, outline, true),
    warpToCanonicalAsync(ps.albedo, input.width, input.height, 1, outline),
    warpToCanonicalAsync(ps.confidence, input.width, input.height, 1, outline),
  ]);
  const mask = roundedRectMask(cw, ch, (card.cornerRadiusMm * 1000) / outline.canonicalUmPerPx);
  const t3 = performance.now();
  const depth = await integrateNormals(normals, cw, ch, { mask });
  const t4 = performance.now();
  const reliefUm = depth.heightPx;
  const degree = input.warpDegree ?? 2;
  const warp = degree > 0 ? removeWarp(reliefUm, cw, ch, mask, degree) : undefined;
  const k = outline.canonicalUmPerPx;
  for (let i = 0; i < reliefUm.length; i++) reliefUm[i] *= k;
  if (warp) {
    warp.residualRms *= k;
    warp.coefficients = warp.coefficients.map((c) => c * k);
  }
  const t5 = performance.now();
  return {
    outline, width: cw, height: ch, umPerPx: k, mask, normals, albedo, confidence, reliefUm, warp, backend: ps.backend,
    timingsMs: { segment: t1 - t0, ps: t2 - t1, rectify: t3 - t2, integrate: t4 - t3, warp: t5 - t4, total: t5 - t0 },
  };
}
