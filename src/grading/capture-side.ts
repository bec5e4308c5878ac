import { createError } from '../core/errors.ts';
import { readPhotometricFolder } from '../io/photometric-folder.ts';
import { distantLights } from '../vision/lights.ts';
import type { CardSpec } from '../vision/segment.ts';
import { reconstructSide, type SideResult } from '../vision/side.ts';
import type { CardSide, CardSideMaps } from './types.ts';

/** Background kept around the card in graded maps, mm: enough to see the outline against the tray. */
export const gradingMarginMm = 1.5;

/** Options of {@link reconstructCaptureFolder}. */
export interface CaptureFolderOptions {
  card: CardSpec;
  side: CardSide;
  /** Camera scale, µm per px (orthographic); estimated from mask.png when absent. */
  umPerPx?: number;
}

/** A reconstructed side ready for grading, with the vision result it came from. */
export interface ReconstructedSide {
  maps: CardSideMaps;
  /** Background px around the card on every side of the maps. */
  marginPx: number;
  result: SideResult;
  cameraUmPerPx: number;
  readMs: number;
}

/**
 * Scale from the mask's area: the mask of a capture folder covers the card (µm per px). Only a first
 * guess for segmentation, which measures the scale again from the card's sides.
 */
function umPerPxFromMask(mask: Uint8Array, card: CardSpec): number | undefined {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  if (n < 1000) return undefined;
  return Math.sqrt((card.widthMm * card.heightMm) / n) * 1000;
}

/** Wrap a vision result as the grading contract's maps. */
export function sideMapsOf(result: SideResult, side: CardSide): CardSideMaps {
  return { side, widthPx: result.width, heightPx: result.height, umPerPx: result.umPerPx, mask: result.mask, normals: result.normals, albedo: result.albedo, reliefUm: result.reliefUm, confidence: result.confidence, ...(result.blockSolved ? { blockSolved: result.blockSolved } : {}) };
}

/**
 * Read a capture folder in the common photometric format (distant lights, orthographic view of one side
 * lying flat) and reconstruct it with the vision pipeline, keeping a background margin around the card.
 * Never reads truth.json or normal_gt.png.
 */
export async function reconstructCaptureFolder(dir: string, options: CaptureFolderOptions): Promise<ReconstructedSide> {
  const t0 = performance.now();
  const ds = await readPhotometricFolder(dir, undefined, { markClipped: true, groundTruth: false });
  const readMs = performance.now() - t0;
  const um = options.umPerPx ?? (ds.mask ? umPerPxFromMask(ds.mask, options.card) : undefined);
  if (um === undefined) throw createError('GB_USAGE', `${dir}: no --um-per-px given and no mask.png to estimate the scale from`);
  if (!(um > 0)) throw createError('GB_USAGE', `--um-per-px: expected a positive number, got ${um}`);
  const lights = distantLights(ds.width, ds.height, ds.directions, ds.intensities);
  const canonicalUmPerPx = Math.max(1, Math.round(um));
  const marginPx = Math.round((gradingMarginMm * 1000) / canonicalUmPerPx);
  const p0 = ds.planes[0];
  const saturation = p0 instanceof Uint16Array ? 65535 : p0 instanceof Uint8Array ? 255 : Infinity;
  const result = await reconstructSide({ planes: ds.planes, width: ds.width, height: ds.height, lights, umPerPx: um, canonicalUmPerPx, card: options.card, marginPx, ps: { saturation } });
  return { maps: sideMapsOf(result, options.side), marginPx, result, cameraUmPerPx: um, readMs };
}
