import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';
import type { CalibrationRepository } from '../storage/calibrations.ts';
import { nearFieldLights, type LightField } from '../vision/lights.ts';
import { cameraToViewAxes, type Intrinsics, type Vec3 } from './mirror-sphere.ts';
import { scanProcedures } from './procedures.ts';
import { intersectPixel, offsetPlane, type CameraPlane } from './run/plane.ts';
import { withRadialDistortion } from './run/distortion.ts';

/**
 * What a scan needs from calibration, gathered from the valid records: the camera model the records were
 * made with, the exposure chosen on the white target, the tray plane and scale from the dot grid, the LED
 * positions from the mirror sphere, and per-LED intensities and flat-field gain maps from the white target.
 * Positions and planes are in the camera frame (OpenCV: x right, y down, z forward, mm).
 */
export interface BoothCalibration {
  /** Camera model with the lens distortion folded into its rays (toNormalized). */
  intrinsics: Intrinsics;
  radialK1: number;
  widthPx: number;
  heightPx: number;
  exposureUs: number;
  level: number;
  leds: number[];
  trayPlane: CameraPlane;
  umPerPx: number;
  ledPositionsMm: Vec3[];
  ledIntensities: number[];
  gainMaps: FloatImage[];
  recordIds: Record<string, string>;
}

/** The record data each procedure saves (the JSON documents' `data`). */
export interface FlatData { exposureUs: number; level: number; leds: number[]; relative: number[]; gainMaps: Array<{ width: number; height: number; values: number[] }> }
export interface LightsData { intrinsics: Intrinsics; radialK1: number; widthPx: number; heightPx: number; ledPositionsMm: Vec3[] }
export interface ScaleData { trayPlane: CameraPlane; umPerPx: number; radialK1: number }

/** Load the booth calibration from the valid records; GB_NOT_CALIBRATED (saying what to run) when any is missing. */
export async function loadBoothCalibration(repo: CalibrationRepository, now = new Date()): Promise<BoothCalibration> {
  const check = repo.validFor(scanProcedures, now);
  if (!check.ok) throw createError('GB_NOT_CALIBRATED', check.message, { missing: check.missing, expired: check.expired, failed: check.failed });
  const doc = async <T>(p: string): Promise<{ id: string; data: T }> => {
    const rec = repo.latestValid(p, now);
    if (!rec) throw createError('GB_NOT_CALIBRATED', `${p}: no valid record`);
    return { id: rec.id, data: (await repo.readDocument(rec)).data as T };
  };
  const flat = await doc<FlatData>('flat');
  const lights = await doc<LightsData>('lights');
  const scale = await doc<ScaleData>('scale');
  const dark = repo.latestValid('dark', now);
  return boothCalibrationOf(flat.data, lights.data, scale.data, { dark: dark?.id ?? '', flat: flat.id, lights: lights.id, scale: scale.id });
}

/**
 * The booth calibration from the records' data (the same documents a dataset carries under calibration/),
 * so a field dataset is reconstructed from its own calibration exactly as the booth did.
 */
export function boothCalibrationOf(flat: FlatData, lights: LightsData, scale: ScaleData, recordIds: Record<string, string>): BoothCalibration {
  return {
    intrinsics: withRadialDistortion(lights.intrinsics, lights.radialK1 ?? 0),
    radialK1: lights.radialK1 ?? 0,
    widthPx: lights.widthPx,
    heightPx: lights.heightPx,
    exposureUs: flat.exposureUs,
    level: flat.level,
    leds: flat.leds,
    trayPlane: scale.trayPlane,
    umPerPx: scale.umPerPx,
    ledPositionsMm: lights.ledPositionsMm,
    ledIntensities: flat.relative,
    gainMaps: flat.gainMaps.map((g) => ({ width: g.width, height: g.height, data: Float32Array.from(g.values) })),
    recordIds,
  };
}

/** Round gain maps for the JSON record (4 significant digits is far below the noise). */
export function gainMapsForRecord(maps: readonly FloatImage[]): FlatData['gainMaps'] {
  return maps.map((m) => ({ width: m.width, height: m.height, values: Array.from(m.data, (v) => Number(v.toPrecision(4))) }));
}

/**
 * Per-pixel near-field light vectors for a surface `heightAboveTrayMm` above the tray, in the frame photometric
 * stereo reports normals in (x right, y up, z towards the camera).
 */
export function calibratedLights(cal: BoothCalibration, heightAboveTrayMm: number, width = cal.widthPx, height = cal.heightPx): LightField {
  if (width !== cal.widthPx || height !== cal.heightPx) {
    throw createError('GB_NOT_CALIBRATED', `calibration was made at ${cal.widthPx}×${cal.heightPx} px but the frames are ${width}×${height}; run \`gradebooth calibrate run\` at this size`);
  }
  const surface = offsetPlane(cal.trayPlane, heightAboveTrayMm);
  return nearFieldLights(width, height, {
    ledPositionsMm: cal.ledPositionsMm.flatMap((p) => cameraToViewAxes(p)),
    ledIntensities: cal.ledIntensities,
    gainMaps: cal.gainMaps,
    pointMm: (x, y) => cameraToViewAxes(intersectPixel(cal.intrinsics, surface, x + 0.5, y + 0.5)),
  });
}
