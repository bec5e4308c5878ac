import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createError } from '../core/errors.ts';

/** A 3-vector in millimetres (world frame: tray plane z = 0, x right, y up in the image, z toward the camera). */
export type Vec3 = [number, number, number];

/** One LED of the simulated rig; `channel` is the rig channel that drives it. */
export interface LedSpec {
  channel: number;
  ring?: number;
  azimuthDeg?: number;
  positionMm: Vec3;
  /** Point the LED's optical axis aims at. */
  aimMm: Vec3;
  /** On-axis radiant intensity at full level (4095), W/sr. */
  radiantIntensityWSr: number;
  /** Beam profile cos^m about the optical axis. */
  beamExponent: number;
}

export interface CameraSpec {
  widthPx: number;
  heightPx: number;
  pixelPitchUm: number;
  focalLengthMm: number;
  principalPointPx: [number, number];
  positionMm: Vec3;
  lookAtMm: Vec3;
  upHint: Vec3;
  fNumber: number;
  /** Apply cos^4 natural vignetting. */
  naturalVignetting: boolean;
  /** Radial distortion k1, k2 on normalised coordinates (0 0 = none). */
  radialDistortion: [number, number];
}

export interface SensorSpec {
  fullWellE: number;
  readNoiseE: number;
  adcBits: number;
  blackLevelDn: number;
  /** Electrons per µs per unit scene radiance (W m⁻² sr⁻¹) reaching a pixel. */
  responsivityEPerUsPerRadiance: number;
  defaultExposureUs: number;
  defaultGain: number;
}

export interface MaterialSpec {
  albedo: number;
  /** GGX alpha. */
  roughness: number;
  specularF0: number;
}

export interface BoothGeometry {
  version: number;
  leds: LedSpec[];
  camera: CameraSpec;
  sensor: SensorSpec;
  tray: MaterialSpec;
  distantLights: { irradianceWM2: number };
}

/** Path of the simulated booth's geometry file shipped in calibration/. */
export const defaultGeometryPath = fileURLToPath(new URL('../../calibration/sim-rig.json', import.meta.url));

function fail(path: string, what: string, got: unknown): never {
  throw createError('GB_CONFIG_INVALID', `${path}: expected ${what}, got ${JSON.stringify(got)}`);
}

function num(path: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(path, `a number in [${min}, ${max}]`, v);
  return v;
}

function vec3(path: string, v: unknown): Vec3 {
  if (!Array.isArray(v) || v.length !== 3) fail(path, 'an array of 3 numbers', v);
  return [num(`${path}[0]`, v[0]), num(`${path}[1]`, v[1]), num(`${path}[2]`, v[2])];
}

/** Validate a parsed geometry object; throws GB_CONFIG_INVALID naming the bad key. */
export function validateGeometry(raw: unknown, source = 'sim-rig.json'): BoothGeometry {
  const o = raw as Record<string, any>;
  if (typeof o !== 'object' || o === null) fail(source, 'an object', raw);
  if (!Array.isArray(o.leds) || o.leds.length === 0) fail(`${source}: leds`, 'a non-empty array', o.leds);
  const leds: LedSpec[] = o.leds.map((l: any, i: number) => {
    const p = `${source}: leds[${i}]`;
    const channel = num(`${p}.channel`, l.channel, 0, 255);
    if (channel !== i) fail(`${p}.channel`, `${i} (channel n = LED n, in order)`, channel);
    return {
      channel,
      ring: l.ring,
      azimuthDeg: l.azimuthDeg,
      positionMm: vec3(`${p}.positionMm`, l.positionMm),
      aimMm: vec3(`${p}.aimMm`, l.aimMm ?? [0, 0, 0]),
      radiantIntensityWSr: num(`${p}.radiantIntensityWSr`, l.radiantIntensityWSr, 0),
      beamExponent: num(`${p}.beamExponent`, l.beamExponent, 0, 200),
    };
  });
  const c = o.camera ?? fail(`${source}: camera`, 'an object', o.camera);
  const camera: CameraSpec = {
    widthPx: num(`${source}: camera.widthPx`, c.widthPx, 1, 100000),
    heightPx: num(`${source}: camera.heightPx`, c.heightPx, 1, 100000),
    pixelPitchUm: num(`${source}: camera.pixelPitchUm`, c.pixelPitchUm, 0.1, 100),
    focalLengthMm: num(`${source}: camera.focalLengthMm`, c.focalLengthMm, 1, 10000),
    principalPointPx: [num(`${source}: camera.principalPointPx[0]`, c.principalPointPx?.[0]), num(`${source}: camera.principalPointPx[1]`, c.principalPointPx?.[1])],
    positionMm: vec3(`${source}: camera.positionMm`, c.positionMm),
    lookAtMm: vec3(`${source}: camera.lookAtMm`, c.lookAtMm),
    upHint: vec3(`${source}: camera.upHint`, c.upHint),
    fNumber: num(`${source}: camera.fNumber`, c.fNumber, 0.5, 64),
    naturalVignetting: c.naturalVignetting === true,
    radialDistortion: [num(`${source}: camera.radialDistortion[0]`, c.radialDistortion?.[0] ?? 0), num(`${source}: camera.radialDistortion[1]`, c.radialDistortion?.[1] ?? 0)],
  };
  const s = o.sensor ?? fail(`${source}: sensor`, 'an object', o.sensor);
  const sensor: SensorSpec = {
    fullWellE: num(`${source}: sensor.fullWellE`, s.fullWellE, 1),
    readNoiseE: num(`${source}: sensor.readNoiseE`, s.readNoiseE, 0),
    adcBits: num(`${source}: sensor.adcBits`, s.adcBits, 8, 16),
    blackLevelDn: num(`${source}: sensor.blackLevelDn`, s.blackLevelDn, 0),
    responsivityEPerUsPerRadiance: num(`${source}: sensor.responsivityEPerUsPerRadiance`, s.responsivityEPerUsPerRadiance, 0),
    defaultExposureUs: num(`${source}: sensor.defaultExposureUs`, s.defaultExposureUs, 1),
    defaultGain: num(`${source}: sensor.defaultGain`, s.defaultGain, 1),
  };
  const t = o.tray ?? {};
  const tray: MaterialSpec = {
    albedo: num(`${source}: tray.albedo`, t.albedo, 0, 1),
    roughness: num(`${source}: tray.roughness`, t.roughness, 0.001, 1),
    specularF0: num(`${source}: tray.specularF0`, t.specularF0, 0, 1),
  };
  const distantLights = { irradianceWM2: num(`${source}: distantLights.irradianceWM2`, o.distantLights?.irradianceWM2, 0) };
  return { version: num(`${source}: version`, o.version, 1, 1), leds, camera, sensor, tray, distantLights };
}

/** Read and validate a geometry file (default: calibration/sim-rig.json). */
export async function loadBoothGeometry(path = defaultGeometryPath): Promise<BoothGeometry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `${path}: cannot read (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `${path}: not JSON (${(err as Error).message})`);
  }
  return validateGeometry(raw, path);
}

/** The same booth seen by a camera scaled to another resolution (same field of view), for fast renders. */
export function withCameraSize(geometry: BoothGeometry, widthPx: number, heightPx: number): BoothGeometry {
  const c = geometry.camera;
  // Keep the field of view: scale the pixel pitch with the width, and the principal point with the size.
  const sx = c.widthPx / widthPx;
  const sy = c.heightPx / heightPx;
  if (Math.abs(sx - sy) / sx > 0.02) {
    throw createError('GB_USAGE', `size ${widthPx}×${heightPx} must keep the sensor aspect ${c.widthPx}:${c.heightPx} within 2%`);
  }
  return {
    ...geometry,
    camera: {
      ...c,
      widthPx,
      heightPx,
      pixelPitchUm: c.pixelPitchUm * sx,
      principalPointPx: [c.principalPointPx[0] / sx, c.principalPointPx[1] / sy],
    },
  };
}
