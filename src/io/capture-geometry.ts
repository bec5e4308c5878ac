import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';
import type { NearFieldRig } from '../vision/lights.ts';
import type { CameraSpec, Vec3 } from '../geometry/booth-geometry.ts';
import { pinholeFromSpec, pixelRay, worldToCamera } from '../geometry/camera-model.ts';
import { cameraToViewAxes } from '../geometry/intrinsics.ts';

// The near-field geometry that a capture folder written by `gradebooth sim render` (truth.json, format
// gradebooth-sim-capture/1) carries besides the common files: the camera's pinhole model and pose, and
// each LED's position, aim, radiant intensity and beam exponent. With it, photometric stereo can use the
// true per-pixel light vectors instead of light_directions.txt, which hold one direction per LED from the
// scene centre only (4–5° off at the card's edges for LEDs 180–260 mm away).

/** Per-LED beam maps are this coarse: cos^m of the beam angle is smooth, so bilinear sampling is exact to ~1e-5. */
const BEAM_MAP_CELLS = 64;

export interface TruthLed {
  positionMm: Vec3;
  aimMm: Vec3;
  radiantIntensityWSr: number;
  beamExponent: number;
}

/** The near-field rig of a capture folder, or undefined when its truth.json is absent or describes distant lights. */
export interface CaptureGeometry {
  rig: NearFieldRig;
  /** Height of the plane the light vectors are computed on (world mm above the tray). */
  surfaceZMm: number;
  source: string;
}

const isVec3 = (v: unknown): v is Vec3 => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Read the near-field geometry of a capture folder for the lights `lightIndices` (0-based, file order).
 * Returns undefined when there is no truth.json or it declares distant lights; throws GB_DATASET_INVALID
 * when truth.json is near-field but incomplete, or its frames do not match filenames.txt.
 */
export async function readNearFieldGeometry(dir: string, names: readonly string[], lightIndices: readonly number[], widthPx: number, heightPx: number): Promise<CaptureGeometry | undefined> {
  const path = join(dir, 'truth.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let truth: Record<string, unknown>;
  try {
    truth = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw createError('GB_DATASET_INVALID', `${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof truth.lightModel !== 'string' || !truth.lightModel.startsWith('near-field')) return undefined;
  const fail = (what: string): never => {
    throw createError('GB_DATASET_INVALID', `${path}: near-field light model but ${what}`);
  };
  const spec = (truth.camera as { spec?: CameraSpec } | undefined)?.spec;
  if (!spec || !isVec3(spec.positionMm) || !isVec3(spec.lookAtMm) || !isVec3(spec.upHint) || !(spec.focalLengthMm > 0) || !(spec.pixelPitchUm > 0)) {
    return fail('camera.spec (pinhole model and pose) is missing or incomplete');
  }
  if (spec.widthPx !== widthPx || spec.heightPx !== heightPx) fail(`the camera is ${spec.widthPx}×${spec.heightPx} px and the images are ${widthPx}×${heightPx}`);
  const files = (truth.frames as { files?: unknown } | undefined)?.files;
  const leds = truth.leds as TruthLed[] | undefined;
  if (!Array.isArray(files) || !Array.isArray(leds) || files.length !== leds.length) return fail('frames.files and leds[] are missing or differ in length');
  for (const [k, i] of lightIndices.entries()) {
    if (files[i] !== names[k]) fail(`frame ${i + 1} is ${String(files[i])} but filenames.txt lists ${names[k]}`);
    const led = leds[i];
    if (!led || !isVec3(led.positionMm) || !isVec3(led.aimMm) || !(led.radiantIntensityWSr > 0) || !(led.beamExponent >= 0)) fail(`leds[${i}] lacks positionMm, aimMm, radiantIntensityWSr or beamExponent`);
  }
  const centre = truth.sceneCentreMm;
  // The lights are evaluated on the plane through the scene centre: the card's own height (≤ 1 mm of bow)
  // moves a light direction by < 0.2° at 200 mm, well below what the solve resolves.
  const surfaceZMm = isVec3(centre) ? centre[2] : 0;

  return nearFieldGeometry(spec, lightIndices.map((i) => leds[i]), surfaceZMm, widthPx, heightPx, path);
}

/** The near-field rig of a known camera and LEDs (lights evaluated on the plane z = surfaceZMm, world mm). */
export function nearFieldGeometry(spec: CameraSpec, picked: readonly TruthLed[], surfaceZMm: number, widthPx: number, heightPx: number, source: string): CaptureGeometry {
  const fail = (what: string): never => {
    throw createError('GB_DATASET_INVALID', `${source}: ${what}`);
  };
  const cam = pinholeFromSpec(spec);
  // Normals and lights are reported in the camera's view axes (x right, y up, z towards the camera): the
  // camera rotation, then camera x, −y, −z. Only differences of positions matter, so no translation.
  const origin: Vec3 = [0, 0, 0];
  const toView = (v: Vec3): Vec3 => cameraToViewAxes(worldToCamera(v, cam.rotation, origin));
  const surfaceWorld = (xPx: number, yPx: number): Vec3 => {
    const d = pixelRay(cam, xPx, yPx);
    const o = cam.positionMm;
    if (Math.abs(d[2]) < 1e-9) fail(`the ray through pixel (${xPx}, ${yPx}) never meets the tray plane`);
    const t = (surfaceZMm - o[2]) / d[2];
    return [o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]];
  };
  const gainMaps: FloatImage[] = picked.map((led) => {
    const axis = normalize([led.aimMm[0] - led.positionMm[0], led.aimMm[1] - led.positionMm[1], led.aimMm[2] - led.positionMm[2]]);
    const w = BEAM_MAP_CELLS, h = BEAM_MAP_CELLS;
    const data = new Float32Array(w * h);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        // Cell centres at the same normalised image positions nearFieldLights samples the maps at.
        const s = surfaceWorld(((i + 0.5) / w) * widthPx, ((j + 0.5) / h) * heightPx);
        const d = normalize([s[0] - led.positionMm[0], s[1] - led.positionMm[1], s[2] - led.positionMm[2]]);
        const c = Math.max(0, axis[0] * d[0] + axis[1] * d[1] + axis[2] * d[2]);
        data[j * w + i] = c ** led.beamExponent;
      }
    }
    return { width: w, height: h, data };
  });
  const rig: NearFieldRig = {
    ledPositionsMm: picked.flatMap((led) => toView(led.positionMm)),
    ledIntensities: picked.map((led) => led.radiantIntensityWSr),
    gainMaps,
    // NearFieldRig's pixel centres are at integers; the camera model's at +0.5.
    pointMm: (xPx, yPx) => toView(surfaceWorld(xPx + 0.5, yPx + 0.5)),
  };
  return { rig, surfaceZMm, source };
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}
