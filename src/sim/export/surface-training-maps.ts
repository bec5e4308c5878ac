import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../../core/errors.ts';
import { surfaceModelClasses, classOfSimDefectKind } from '../../grading/surface/classes.ts';
import { surfaceFeaturesAsync, surfaceFeatureSpec } from '../../grading/surface/features.ts';
import type { CardSideMaps } from '../../grading/types.ts';
import { readPhotometricFolder } from '../../io/photometric-folder.ts';
import { distantLights, nearFieldLights, type LightField } from '../../vision/lights.ts';
import { nearFieldGeometry, readNearFieldGeometry } from '../../io/capture-geometry.ts';
import type { BoothGeometry } from '../../geometry/booth-geometry.ts';
import type { SceneRenderer } from '../render/scene-renderer.ts';
import type { Scene } from '../scenes/scene.ts';
import { adcToLinear16, toImageAxes } from './capture-writer.ts';
import type { Plane } from '../../vision/ps-kernel.ts';
import { reconstructSide } from '../../vision/side.ts';
import type { CardTruth } from '../scenes/card.ts';
import type { SurfaceMaps } from '../scenes/surface-maps.ts';
import { canonicalSurfaceLabels } from './surface-labels.ts';
import { gradingMarginMm } from '../../grading/capture-side.ts';

// What `sim dataset --maps` adds beside each capture: the side as the booth's reconstruction sees it
// (photometric stereo on the rendered frames, rectified to the canonical card frame), the surface model's
// input features computed by the runtime's own code, and per-pixel defect classes rasterised from the
// card's truth maps onto the same canonical frame. The model trains on reconstructions, never on truth maps.

// Format 2: side.bin carries the PS confidence, the maps keep the grade path's background margin.
export const surfaceMapsFormat = 'gradebooth-surface-maps/2';
/** Features are stored as int16 = round(value × featureScale). */
export const featureScale = 4096;

/** The background margin of training maps, px at their scale: the grade path's (capture-side.ts). */
export function trainingMarginPx(umPerPx: number): number {
  return Math.round((gradingMarginMm * 1000) / umPerPx);
}

/**
 * Reconstruct one side from frames already in memory (16-bit linear, black level removed) the way the grade
 * path does (grading/capture-side.ts): the same background margin and the 16-bit saturation level, so
 * the model trains on the maps it will be given (the margin changes the segmentation's crop, and
 * saturated readings are left out of the solve and lower its confidence).
 */
export async function reconstructCardSide(planes: Plane[], width: number, height: number, lights: LightField, cameraUmPerPx: number, canonicalUmPerPx: number, side: 'front' | 'back'): Promise<CardSideMaps> {
  const marginPx = trainingMarginPx(canonicalUmPerPx);
  const p0 = planes[0];
  const saturation = p0 instanceof Uint16Array ? 65535 : p0 instanceof Uint8Array ? 255 : Infinity;
  const r = await reconstructSide({ planes, width, height, lights, umPerPx: cameraUmPerPx, canonicalUmPerPx, marginPx, ps: { saturation } });
  return { side, widthPx: r.width, heightPx: r.height, umPerPx: r.umPerPx, mask: r.mask, normals: r.normals, albedo: r.albedo, reliefUm: r.reliefUm, confidence: r.confidence };
}

/** Render one frame per LED in memory (16-bit linear, as a capture folder holds them) and reconstruct the side. */
export async function renderAndReconstructSide(renderer: SceneRenderer, scene: Scene, geometry: BoothGeometry, exposureUs: number, noiseSeed: number, cameraUmPerPx: number, mapsUmPerPx: number, side: 'front' | 'back'): Promise<CardSideMaps> {
  renderer.setScene(scene);
  const cam = renderer.camera;
  const sensor = renderer.sensor;
  const planes: Uint16Array[] = [];
  for (let k = 0; k < geometry.leds.length; k++) {
    const levels = geometry.leds.map((_, j) => (j === k ? 4095 : 0));
    const raw = await renderer.expose({ levels, exposureUs, gain: geometry.sensor.defaultGain, seed: noiseSeed + k });
    planes.push(adcToLinear16(raw, sensor.blackLevelDn, sensor.adcMax));
  }
  const lights = renderer.distantLights
    ? distantLights(cam.widthPx, cam.heightPx, renderer.lightDirections().flatMap((d) => toImageAxes(cam, d)))
    : nearFieldLights(cam.widthPx, cam.heightPx, nearFieldGeometry(geometry.camera, geometry.leds, renderer.sceneCentreMm()[2], cam.widthPx, cam.heightPx, 'sim dataset').rig);
  return reconstructCardSide(planes, cam.widthPx, cam.heightPx, lights, cameraUmPerPx, mapsUmPerPx, side);
}

/** Reconstruct one side from a capture folder exactly as a folder would be graded (distant or near-field lights). */
export async function reconstructCaptureFolder(dir: string, cameraUmPerPx: number, canonicalUmPerPx: number, side: 'front' | 'back'): Promise<CardSideMaps> {
  const ds = await readPhotometricFolder(dir);
  const geometry = await readNearFieldGeometry(dir, ds.names, ds.lightNumbers.map((n) => n - 1), ds.width, ds.height);
  const lights = geometry ? nearFieldLights(ds.width, ds.height, geometry.rig) : distantLights(ds.width, ds.height, ds.directions, ds.intensities);
  return reconstructCardSide(ds.planes, ds.width, ds.height, lights, cameraUmPerPx, canonicalUmPerPx, side);
}

export interface SurfaceMapsExtra {
  seed: number;
  foil: boolean;
  clean: boolean;
  exposureUs: number;
  distantLights: boolean;
}

/**
 * Write DIR/maps/: side.bin (normals int16 ×3, albedo f32, relief µm f32, mask u8 — the CardSideMaps),
 * features.i16 (C × H × W), labels.u8 (class per px) and maps.json describing them.
 */
export async function writeSurfaceTrainingMaps(dir: string, maps: CardSideMaps, cardMaps: SurfaceMaps, card: CardTruth, extra: SurfaceMapsExtra): Promise<Record<string, unknown>> {
  const out = join(dir, 'maps');
  await mkdir(out, { recursive: true });
  const { widthPx: w, heightPx: h } = maps;
  const marginPx = trainingMarginPx(maps.umPerPx);
  const labels = canonicalSurfaceLabels(cardMaps, card.defects, { widthPx: w, heightPx: h, umPerPx: maps.umPerPx, cardWidthMm: card.widthMm, cardHeightMm: card.heightMm, marginPx });
  return writeSideMapsFiles(out, maps, labels, marginPx, {
    ...extra,
    glossRoughness: card.glossRoughness,
    foilRegion: card.foil,
    defects: card.defects.map((d) => ({ id: d.id, kind: d.kind, class: classOfSimDefectKind(d.kind), centerMm: d.centerMm, lengthMm: d.lengthMm, widthMm: d.widthMm, depthUm: d.depthUm, detail: d.detail })),
  });
}

/**
 * The files of one side's maps folder in `out` (which must exist): features.i16 (the runtime's features,
 * int16 = round(value × featureScale)), labels.u8, side.bin and maps.json (the layout, then `extra`). The
 * simulated sets and the field datasets (src/fleet/dataset-training.ts) write through here alike.
 */
export async function writeSideMapsFiles(out: string, maps: CardSideMaps, labels: Uint8Array, marginPx: number, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { widthPx: w, heightPx: h } = maps;
  const features = await surfaceFeaturesAsync(maps);
  const q = new Int16Array(features.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.max(-32767, Math.min(32767, Math.round(features[i] * featureScale)));
  await writeFile(join(out, 'features.i16'), new Uint8Array(q.buffer));
  await writeFile(join(out, 'labels.u8'), labels);
  await writeFile(join(out, 'side.bin'), encodeSideMaps(maps));
  const pixels = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) if (labels[i]) pixels.set(labels[i], (pixels.get(labels[i]) ?? 0) + 1);
  const meta = {
    format: surfaceMapsFormat,
    side: maps.side,
    widthPx: w,
    heightPx: h,
    umPerPx: maps.umPerPx,
    marginPx,
    channels: surfaceFeatureSpec.channels,
    featureScale,
    classes: surfaceModelClasses,
    classPixels: Object.fromEntries([...pixels].map(([k, v]) => [surfaceModelClasses[k], v])),
    ...extra,
  };
  await writeFile(join(out, 'maps.json'), `${JSON.stringify(meta, null, 1)}\n`);
  return meta;
}

/** CardSideMaps as bytes: a 16-byte header (w, h, µm/px as f64) then normals (int16 × 32767), albedo, relief, PS confidence (f32), mask. */
export function encodeSideMaps(m: CardSideMaps): Uint8Array {
  const n = m.widthPx * m.heightPx;
  if (m.confidence?.length !== n) throw createError('GB_INTERNAL', 'encodeSideMaps: maps without their PS confidence');
  const buf = new ArrayBuffer(16 + 6 * n + 12 * n + n + 8);
  const head = new DataView(buf);
  head.setUint32(0, m.widthPx, true);
  head.setUint32(4, m.heightPx, true);
  head.setFloat64(8, m.umPerPx, true);
  const nq = new Int16Array(buf, 16, 3 * n);
  for (let i = 0; i < 3 * n; i++) nq[i] = Math.round(Math.max(-1, Math.min(1, m.normals[i])) * 32767);
  const off = 16 + 6 * n + ((16 + 6 * n) % 4 === 0 ? 0 : 2);
  new Float32Array(buf, off, n).set(m.albedo);
  new Float32Array(buf, off + 4 * n, n).set(m.reliefUm);
  new Float32Array(buf, off + 8 * n, n).set(m.confidence);
  new Uint8Array(buf, off + 12 * n, n).set(m.mask);
  return new Uint8Array(buf, 0, off + 13 * n);
}

/** Read a side written by {@link writeSurfaceTrainingMaps}. */
export async function readSideMaps(mapsDir: string, side: 'front' | 'back'): Promise<CardSideMaps> {
  const bytes = await readFile(join(mapsDir, 'side.bin'));
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const head = new DataView(buf);
  const w = head.getUint32(0, true), h = head.getUint32(4, true), um = head.getFloat64(8, true);
  const n = w * h;
  const off = 16 + 6 * n + ((16 + 6 * n) % 4 === 0 ? 0 : 2);
  if (buf.byteLength !== off + 13 * n) throw createError('GB_DATASET_INVALID', `${mapsDir}/side.bin: ${buf.byteLength} bytes, expected ${off + 13 * n} for ${w}×${h} (${surfaceMapsFormat}: older maps have no PS confidence; make them again)`);
  const nq = new Int16Array(buf, 16, 3 * n);
  const normals = new Float32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) normals[i] = nq[i] / 32767;
  return {
    side, widthPx: w, heightPx: h, umPerPx: um, normals,
    albedo: new Float32Array(buf.slice(off, off + 4 * n)),
    reliefUm: new Float32Array(buf.slice(off + 4 * n, off + 8 * n)),
    confidence: new Float32Array(buf.slice(off + 8 * n, off + 12 * n)),
    mask: new Uint8Array(buf.slice(off + 12 * n, off + 13 * n)),
  };
}
