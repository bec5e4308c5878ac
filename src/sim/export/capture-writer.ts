import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng } from '../../imaging/png.ts';
import { encodePfm } from '../../imaging/pfm.ts';
import type { Vec3 } from '../../geometry/booth-geometry.ts';
import type { PinholeCamera } from '../../geometry/camera-model.ts';
import type { SceneRenderer } from '../render/scene-renderer.ts';
import type { GroundTruthBuffers } from '../render/shading-kernel.ts';

// Writes simulator output in the common photometric folder format (filenames.txt, light_directions.txt,
// light_intensities.txt, mask.png, normal_gt.png, 16-bit PNG frames) plus truth.json and maps.

/** World vector → the format's axes (x right, y up, z toward the camera), from the camera rotation. */
export function toImageAxes(cam: PinholeCamera, v: Vec3): Vec3 {
  const r = cam.rotation;
  return [
    r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
    -(r[3] * v[0] + r[4] * v[1] + r[5] * v[2]),
    -(r[6] * v[0] + r[7] * v[1] + r[8] * v[2]),
  ];
}

/** 12-bit ADC codes → 16-bit linear values with the black level removed; full scale maps to 65535. */
export function adcToLinear16(raw: Uint16Array, blackLevelDn: number, adcMax: number): Uint16Array {
  const out = new Uint16Array(raw.length);
  const k = 65535 / (adcMax - blackLevelDn);
  for (let i = 0; i < raw.length; i++) {
    const v = (raw[i] - blackLevelDn) * k;
    out[i] = v <= 0 ? 0 : v >= 65535 ? 65535 : Math.round(v);
  }
  return out;
}

/** Encode ground-truth normals as 16-bit RGB (n + 1) / 2 × 65535 in the format's axes. */
export function encodeNormals16(cam: PinholeCamera, normal: Float32Array, pixels: number): Uint16Array {
  const out = new Uint16Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const n = toImageAxes(cam, [normal[i * 3], normal[i * 3 + 1], normal[i * 3 + 2]]);
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(((n[c] + 1) / 2) * 65535);
  }
  return out;
}

async function writePng(path: string, width: number, height: number, channels: 1 | 3, bitDepth: 8 | 16, data: Uint8Array | Uint16Array): Promise<void> {
  await writeFile(path, await encodePng({ width, height, channels, bitDepth, data }));
}

export interface CaptureExportOptions {
  dir: string;
  renderer: SceneRenderer;
  exposureUs: number;
  gain: number;
  /** Seed for sensor noise (frame k uses seed + k). */
  noiseSeed: number;
  /** Extra truth merged into truth.json (scene description, card/target truth, …). */
  truth: Record<string, unknown>;
  /** Defects whose masks to write: id → file stem. */
  defects?: { id: number; kind: string }[];
  /** Called after each frame is written (for progress). */
  onFrame?: (index: number, count: number) => void;
}

/** Render one image per LED (that LED at full level) and write the folder; returns truth.json's content. */
export async function writeCaptureFolder(options: CaptureExportOptions): Promise<Record<string, unknown>> {
  const { dir, renderer } = options;
  const cam = renderer.camera;
  const { widthPx: w, heightPx: h } = cam;
  const n = w * h;
  await mkdir(dir, { recursive: true });
  const sensor = renderer.sensor;
  const leds = renderer.geometry.leds;
  const names: string[] = [];
  let saturated = 0;
  const gt: GroundTruthBuffers = await renderer.groundTruth();
  let covered = 0;
  for (let i = 0; i < n; i++) if (gt.cover[i] >= 128) covered++;
  for (let k = 0; k < leds.length; k++) {
    const levels = leds.map((_, j) => (j === k ? 4095 : 0));
    const raw = await renderer.expose({ levels, exposureUs: options.exposureUs, gain: options.gain, seed: options.noiseSeed + k });
    for (let i = 0; i < n; i++) if (gt.cover[i] >= 128 && raw[i] >= sensor.adcMax) saturated++;
    const name = `led_${String(k).padStart(2, '0')}.png`;
    await writePng(join(dir, name), w, h, 1, 16, adcToLinear16(raw, sensor.blackLevelDn, sensor.adcMax));
    names.push(name);
    options.onFrame?.(k + 1, leds.length);
  }
  await writeFile(join(dir, 'filenames.txt'), `${names.join('\n')}\n`);
  const dirsWorld = renderer.lightDirections();
  const dirs = dirsWorld.map((d) => toImageAxes(cam, d));
  await writeFile(join(dir, 'light_directions.txt'), `${dirs.map((d) => d.map((x) => x.toFixed(8)).join(' ')).join('\n')}\n`);
  const meanI = leds.reduce((a, l) => a + l.radiantIntensityWSr, 0) / leds.length;
  const intensities = renderer.distantLights ? leds.map(() => 1) : leds.map((l) => l.radiantIntensityWSr / meanI);
  await writeFile(join(dir, 'light_intensities.txt'), `${intensities.map((v) => `${v.toFixed(6)} ${v.toFixed(6)} ${v.toFixed(6)}`).join('\n')}\n`);

  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = gt.cover[i] >= 128 ? 255 : 0;
  await writePng(join(dir, 'mask.png'), w, h, 1, 8, mask);
  await writePng(join(dir, 'normal_gt.png'), w, h, 3, 16, encodeNormals16(cam, gt.normal, n));
  const albedo = new Uint16Array(n);
  for (let i = 0; i < n; i++) albedo[i] = Math.round(Math.min(1, Math.max(0, gt.albedo[i])) * 65535);
  await writePng(join(dir, 'albedo_gt.png'), w, h, 1, 16, albedo);
  await writeFile(join(dir, 'height_gt.pfm'), encodePfm({ width: w, height: h, data: gt.height }));

  const defectFiles: Record<number, string> = {};
  if (options.defects && options.defects.length > 0) {
    await mkdir(join(dir, 'defects'), { recursive: true });
    for (const d of options.defects) {
      const m = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (gt.label[i] === d.id) m[i] = 255;
      const file = `defects/defect_${String(d.id).padStart(2, '0')}_${d.kind}.png`;
      await writePng(join(dir, file), w, h, 1, 8, m);
      defectFiles[d.id] = file;
    }
  }

  const geometry = renderer.geometry;
  const truth: Record<string, unknown> = {
    format: 'gradebooth-sim-capture/1',
    axes: 'world: tray plane z=0, x right, y up in the image, z toward the camera, mm; files use x right, y up, z toward the camera',
    imageSize: [w, h],
    lightModel: renderer.distantLights
      ? 'distant: each LED is a distant light along light_directions.txt with uniform irradiance'
      : 'near-field: point LEDs at leds[].positionMm, inverse square, cos^m beam; light_directions.txt are directions from the scene centre only',
    frames: {
      files: names,
      ledLevel: 4095,
      exposureUs: options.exposureUs,
      gain: options.gain,
      encoding: 'value16 = round((adc - blackLevelDn) * 65535 / (adcMax - blackLevelDn)), clipped to 0..65535; 65535 = saturated',
      blackLevelDn: sensor.blackLevelDn,
      adcMax: sensor.adcMax,
      noiseSeedFirst: options.noiseSeed,
      saturatedObjectPixelFraction: covered > 0 ? saturated / (covered * leds.length) : 0,
    },
    camera: {
      spec: geometry.camera,
      intrinsicsPx: { fx: cam.fxPx, fy: cam.fyPx, cx: cam.cxPx, cy: cam.cyPx, pixelCentreOffset: 0.5 },
      rotationWorldToCamera: cam.rotation,
      positionMm: cam.positionMm,
      convention: 'OpenCV camera frame (x right, y down, z forward); pixel (0,0) centre is at (0.5, 0.5)',
    },
    sensor: geometry.sensor,
    leds: geometry.leds.map((l) => ({ channel: l.channel, positionMm: l.positionMm, aimMm: l.aimMm, radiantIntensityWSr: l.radiantIntensityWSr, beamExponent: l.beamExponent })),
    sceneCentreMm: renderer.sceneCentreMm(),
    distantLights: { directionsWorld: dirsWorld, irradianceWM2: geometry.distantLights.irradianceWM2, used: renderer.distantLights },
    files: { mask: 'mask.png', normals: 'normal_gt.png', albedo: 'albedo_gt.png', heightMap: 'height_gt.pfm', heightUnits: 'mm above the tray plane (PFM, top row first after decoding)' },
    ...options.truth,
    defectMaskFiles: defectFiles,
  };
  await writeFile(join(dir, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}
