import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createError } from '../core/errors.ts';
import type { MaterialSpec } from './booth-geometry.ts';

/** Card dimensions and the ranges the generator draws from (see calibration/sim-targets.json). */
export interface CardSpec {
  widthMm: number;
  heightMm: number;
  cornerRadiusMm: number;
  thicknessMm: number;
  borderMm: number;
  maxPrintOffsetMm: { front: number; back: number };
  maxBowMm: number;
  glossRoughness: [number, number];
  placement: { maxShiftMm: number; maxRotationDeg: number };
}

export interface PlateSpec {
  widthMm: number;
  heightMm: number;
  thicknessMm: number;
  placement: { maxShiftMm: number; maxRotationDeg: number };
}

export interface SceneConfig {
  card: CardSpec;
  chromeSphere: { radiusMm: number; material: MaterialSpec; placement: { maxShiftMm: number } };
  white: PlateSpec & { material: MaterialSpec };
  dotGrid: PlateSpec & { pitchMm: number; dotDiameterMm: number; background: MaterialSpec; dotAlbedo: number };
  relief: PlateSpec & {
    material: MaterialSpec;
    sphereCap: { centerMm: [number, number]; radiusOfCurvatureMm: number; capHeightMm: number };
    ramps: { centerMm: [number, number]; lengthMm: number; widthMm: number; slopeDeg: number }[];
  };
}

/** Path of the shipped scene/target definitions. */
export const defaultSceneConfigPath = fileURLToPath(new URL('../../calibration/sim-targets.json', import.meta.url));

/** Load scene and target definitions; card keys may be overridden (card size comes from settings). */
export async function loadSceneConfig(path = defaultSceneConfigPath, card: Partial<CardSpec> = {}): Promise<SceneConfig> {
  let raw: SceneConfig;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as SceneConfig;
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `${path}: cannot read scene definitions (${(err as Error).message})`);
  }
  for (const key of ['card', 'chromeSphere', 'white', 'dotGrid', 'relief'] as const) {
    if (typeof raw[key] !== 'object' || raw[key] === null) throw createError('GB_CONFIG_INVALID', `${path}: expected an object "${key}", got ${JSON.stringify(raw[key])}`);
  }
  const merged = { ...raw.card, ...card };
  for (const k of ['widthMm', 'heightMm', 'cornerRadiusMm', 'thicknessMm', 'borderMm'] as const) {
    const v = merged[k];
    if (typeof v !== 'number' || !(v > 0)) throw createError('GB_CONFIG_INVALID', `card.${k}: expected a positive number of mm, got ${JSON.stringify(v)}`);
  }
  if (merged.cornerRadiusMm * 2 > Math.min(merged.widthMm, merged.heightMm)) {
    throw createError('GB_CONFIG_INVALID', `card.cornerRadiusMm: expected at most half the card width, got ${merged.cornerRadiusMm}`);
  }
  return { ...raw, card: merged };
}

/** Dot-grid column/row counts that fit the plate with a one-pitch margin. */
export function dotGridLayout(spec: SceneConfig['dotGrid']): { columns: number; rows: number } {
  return { columns: Math.floor(spec.widthMm / spec.pitchMm) - 1, rows: Math.floor(spec.heightMm / spec.pitchMm) - 1 };
}

/** Object-frame centre (mm) of dot (column, row) of the dot grid; row 0 at the top. */
export function dotCenterMm(spec: SceneConfig['dotGrid'], column: number, row: number): [number, number] {
  const { columns, rows } = dotGridLayout(spec);
  return [(column - (columns - 1) / 2) * spec.pitchMm, ((rows - 1) / 2 - row) * spec.pitchMm];
}

/** Relief-target height above the plate top (mm) at object-frame (u, v): a sphere cap and three ramps. */
export function reliefHeightMm(spec: SceneConfig['relief'], u: number, v: number): number {
  const cap = spec.sphereCap;
  const R = cap.radiusOfCurvatureMm;
  const r2 = (u - cap.centerMm[0]) ** 2 + (v - cap.centerMm[1]) ** 2;
  const capBase2 = 2 * R * cap.capHeightMm - cap.capHeightMm ** 2;
  if (r2 < capBase2) return Math.sqrt(R * R - r2) - (R - cap.capHeightMm);
  for (const ramp of spec.ramps) {
    const du = u - ramp.centerMm[0];
    const dv = v - ramp.centerMm[1];
    // Each ramp rises along +v from its lower end, then drops back as a step.
    if (Math.abs(du) <= ramp.widthMm / 2 && Math.abs(dv) <= ramp.lengthMm / 2) {
      return (dv + ramp.lengthMm / 2) * Math.tan((ramp.slopeDeg * Math.PI) / 180);
    }
  }
  return 0;
}
