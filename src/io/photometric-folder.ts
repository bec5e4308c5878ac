import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../core/errors.ts';
import { readPng, encodePng } from '../imaging/png.ts';
import { encodePfm } from '../imaging/pfm.ts';
import type { RasterImage } from '../imaging/image.ts';
import type { Plane } from '../vision/ps-kernel.ts';

// The common public photometric-stereo folder (DiLiGenT layout, see DESIGN.md "Interchange format"):
// filenames.txt, light_directions.txt (x right, y up, z to camera), optional light_intensities.txt (N×3
// RGB or N×1), optional mask.png, optional normal_gt.png (16-bit RGB (n+1)/2·65535), 8/16-bit PNGs.

/** A photometric capture read into memory: one grey plane per (selected) light. */
export interface PhotometricDataset {
  width: number;
  height: number;
  /** Image file names of the selected lights, in order. */
  names: string[];
  /** 1-based indices (file order) of the selected lights. */
  lightNumbers: number[];
  /** N×3 unit directions of the selected lights. */
  directions: Float32Array;
  /** Relative intensities (one per selected light) after folding RGB intensities into the grey planes. */
  intensities: Float32Array;
  /** One grey plane per light: Uint16Array/Uint8Array when the images are grey, else Float32Array. */
  planes: Plane[];
  bitDepth: 8 | 16;
  mask?: Uint8Array;
  /** Ground-truth unit normals (3 per px) when normal_gt.png exists. */
  normalsTruth?: Float32Array;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parse a whitespace-separated numeric table with `cols` allowed column counts. */
function parseTable(text: string, name: string, allowed: number[]): number[][] {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  return rows.map((line, i) => {
    const vals = line.split(/[\s,]+/).map(Number);
    if (!allowed.includes(vals.length) || vals.some((v) => !Number.isFinite(v))) {
      throw createError('GB_DATASET_INVALID', `${name} line ${i + 1}: expected ${allowed.join(' or ')} numbers, got "${line}"`);
    }
    return vals;
  });
}

/** Parse `--lights 1,5,9` (1-based, file order) against the light count; returns 0-based indices. */
export function parseLightSelection(spec: string, count: number): number[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw createError('GB_DATASET_INVALID', '--lights: no light numbers given');
  const seen = new Set<number>();
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > count) throw createError('GB_DATASET_INVALID', `--lights: "${p}" is not a light number from 1 to ${count}`);
    if (seen.has(n)) throw createError('GB_DATASET_INVALID', `--lights: light ${n} is listed twice`);
    seen.add(n);
    out.push(n - 1);
  }
  if (out.length < 3) throw createError('GB_DATASET_INVALID', `--lights: photometric stereo needs at least 3 lights, got ${out.length}`);
  return out;
}

/**
 * Grey plane of an image, each channel divided by its light intensity (RGB intensities) and averaged.
 * With `markClipped`, a pixel with any channel at full scale becomes +Infinity: once channels are scaled
 * and averaged no single value means "clipped", and the solve skips readings at or above its saturation
 * limit (Infinity included), so a clipped highlight is not mistaken for a bright but valid reading.
 */
function toGrey(img: RasterImage, rgbScale: number[] | undefined, markClipped: boolean): Plane {
  const n = img.width * img.height;
  if (img.channels === 1 && !rgbScale) return img.data;
  const out = new Float32Array(n);
  const ch = img.channels;
  const used = Math.min(ch, 3);
  const scale = rgbScale ?? [1, 1, 1];
  const full = markClipped ? (img.bitDepth === 16 ? 65535 : 255) : Infinity;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let clipped = false;
    for (let c = 0; c < used; c++) {
      const v = img.data[i * ch + c];
      if (v >= full) clipped = true;
      s += v / scale[used === 1 ? 0 : c];
    }
    out[i] = clipped ? Infinity : s / used;
  }
  return out;
}

/** Decode a normals PNG ((n+1)/2 × full scale, 8- or 16-bit RGB) into unit normals (0 where all-zero). */
export function decodeNormalsImage(img: RasterImage, name: string): Float32Array {
  if (img.channels < 3) throw createError('GB_IMAGE_INVALID', `${name}: expected an RGB normal map, got ${img.channels} channel(s)`);
  const full = img.bitDepth === 16 ? 65535 : 255;
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const r = img.data[i * img.channels], g = img.data[i * img.channels + 1], b = img.data[i * img.channels + 2];
    if (r === 0 && g === 0 && b === 0) continue;
    const x = (2 * r) / full - 1, y = (2 * g) / full - 1, z = (2 * b) / full - 1;
    const len = Math.hypot(x, y, z) || 1;
    out[3 * i] = x / len; out[3 * i + 1] = y / len; out[3 * i + 2] = z / len;
  }
  return out;
}

/** Read a mask PNG: non-zero (any channel) = inside. */
export async function readMaskPng(path: string, width?: number, height?: number): Promise<Uint8Array> {
  const img = await readPng(path);
  if (width !== undefined && (img.width !== width || img.height !== height)) {
    throw createError('GB_IMAGE_INVALID', `${path}: mask is ${img.width}×${img.height}, images are ${width}×${height}`);
  }
  const n = img.width * img.height;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) for (let c = 0; c < img.channels; c++) if (img.data[i * img.channels + c] !== 0) mask[i] = 1;
  return mask;
}

/** Reading choices for readPhotometricFolder. */
export interface PhotometricReadOptions {
  /**
   * Colour images only: a pixel with any channel at full scale reads +Infinity in its grey plane, so a
   * solve with a saturation limit skips it (plain least squares must not get this: it uses every value).
   */
  markClipped?: boolean;
  /** Read normal_gt.png when present (default true); graders pass false so no truth can leak in. */
  groundTruth?: boolean;
}

/** Read a common-format photometric folder; `lights` picks 0-based indices in file order. */
export async function readPhotometricFolder(dir: string, lights?: readonly number[], options: PhotometricReadOptions = {}): Promise<PhotometricDataset> {
  const namesPath = join(dir, 'filenames.txt');
  const dirsPath = join(dir, 'light_directions.txt');
  let namesText: string, dirsText: string;
  try {
    namesText = await readFile(namesPath, 'utf8');
  } catch {
    throw createError('GB_DATASET_INVALID', `${dir}: missing filenames.txt (expected the common photometric folder format)`);
  }
  try {
    dirsText = await readFile(dirsPath, 'utf8');
  } catch {
    throw createError('GB_DATASET_INVALID', `${dir}: missing light_directions.txt`);
  }
  const allNames = namesText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const allDirs = parseTable(dirsText, 'light_directions.txt', [3]);
  if (allNames.length === 0) throw createError('GB_DATASET_INVALID', `${namesPath}: lists no images (zero lights)`);
  if (allDirs.length !== allNames.length) throw createError('GB_DATASET_INVALID', `${dir}: ${allNames.length} file names but ${allDirs.length} light directions`);
  let allInt: number[][] | undefined;
  if (await exists(join(dir, 'light_intensities.txt'))) {
    allInt = parseTable(await readFile(join(dir, 'light_intensities.txt'), 'utf8'), 'light_intensities.txt', [1, 3]);
    if (allInt.length !== allNames.length) throw createError('GB_DATASET_INVALID', `${dir}: ${allNames.length} file names but ${allInt.length} light intensities`);
    if (allInt.some((r) => r.some((v) => !(v > 0)))) throw createError('GB_DATASET_INVALID', `${dir}: light intensities must be > 0`);
  }
  const pick = lights ?? allNames.map((_, i) => i);
  if (pick.length < 3) throw createError('GB_DATASET_INVALID', `${dir}: photometric stereo needs at least 3 lights, got ${pick.length}`);
  for (const i of pick) if (!Number.isInteger(i) || i < 0 || i >= allNames.length) throw createError('GB_DATASET_INVALID', `light index ${i + 1} is outside 1..${allNames.length}`);
  const planes: Plane[] = [];
  const directions = new Float32Array(pick.length * 3);
  const intensities = new Float32Array(pick.length).fill(1);
  let width = 0, height = 0;
  let bitDepth: 8 | 16 = 8;
  for (let k = 0; k < pick.length; k++) {
    const i = pick[k];
    const img = await readPng(join(dir, allNames[i]));
    if (k === 0) { width = img.width; height = img.height; bitDepth = img.bitDepth; }
    else if (img.width !== width || img.height !== height) throw createError('GB_IMAGE_INVALID', `${allNames[i]}: ${img.width}×${img.height}, but ${allNames[pick[0]]} is ${width}×${height}`);
    const rowI = allInt?.[i];
    // RGB intensities fold into the grey plane per channel; a single intensity stays a light scale.
    const rgb = rowI && rowI.length === 3 && img.channels >= 3 ? rowI : undefined;
    planes.push(toGrey(img, rgb, options.markClipped ?? false));
    if (rowI && !rgb) intensities[k] = rowI.reduce((a, b) => a + b, 0) / rowI.length;
    directions.set(allDirs[i], 3 * k);
  }
  const ds: PhotometricDataset = { width, height, names: pick.map((i) => allNames[i]), lightNumbers: pick.map((i) => i + 1), directions, intensities, planes, bitDepth };
  if (await exists(join(dir, 'mask.png'))) ds.mask = await readMaskPng(join(dir, 'mask.png'), width, height);
  if (options.groundTruth !== false && await exists(join(dir, 'normal_gt.png'))) {
    const gt = await readPng(join(dir, 'normal_gt.png'));
    if (gt.width !== width || gt.height !== height) throw createError('GB_IMAGE_INVALID', `normal_gt.png is ${gt.width}×${gt.height}, images are ${width}×${height}`);
    ds.normalsTruth = decodeNormalsImage(gt, 'normal_gt.png');
  }
  return ds;
}

/** Encode unit normals as a 16-bit RGB PNG, (n+1)/2 × 65535 (x right, y up, z to camera). */
export function encodeNormalsPng(normals: Float32Array, width: number, height: number): Promise<Buffer> {
  const data = new Uint16Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, (normals[i] + 1) / 2)) * 65535);
  return encodePng({ width, height, channels: 3, bitDepth: 16, data });
}

/** Encode a non-negative float map as 16-bit grey scaled so `fullScale` → 65535; returns the PNG. */
export function encodeScaledPng(values: Float32Array, width: number, height: number, fullScale: number): Promise<Buffer> {
  const data = new Uint16Array(width * height);
  const k = fullScale > 0 ? 65535 / fullScale : 0;
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(65535, Math.max(0, values[i] * k)));
  return encodePng({ width, height, channels: 1, bitDepth: 16, data });
}

/** What {@link writePhotometricFolder} writes. */
export interface PhotometricFolderContents {
  width: number;
  height: number;
  /** One image per light (grey 8/16-bit or RGB), as raster images. */
  images: RasterImage[];
  /** N×3 directions. */
  directions: ArrayLike<number>;
  /** N or N×3 intensities. */
  intensities?: ArrayLike<number>;
  mask?: Uint8Array;
  normalsTruth?: Float32Array;
}

/** Write a common-format folder (images as 001.png …). */
export async function writePhotometricFolder(dir: string, c: PhotometricFolderContents): Promise<void> {
  await mkdir(dir, { recursive: true });
  const n = c.images.length;
  const names = c.images.map((_, i) => `${String(i + 1).padStart(3, '0')}.png`);
  for (let i = 0; i < n; i++) await writeFile(join(dir, names[i]), await encodePng(c.images[i]));
  await writeFile(join(dir, 'filenames.txt'), names.join('\n') + '\n');
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`${c.directions[3 * i]} ${c.directions[3 * i + 1]} ${c.directions[3 * i + 2]}`);
  await writeFile(join(dir, 'light_directions.txt'), rows.join('\n') + '\n');
  if (c.intensities) {
    const per = c.intensities.length / n;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(Array.from({ length: per }, (_, k) => c.intensities![i * per + k]).join(' '));
    await writeFile(join(dir, 'light_intensities.txt'), lines.join('\n') + '\n');
  }
  if (c.mask) {
    const data = new Uint8Array(c.mask.length);
    for (let i = 0; i < data.length; i++) data[i] = c.mask[i] ? 255 : 0;
    await writeFile(join(dir, 'mask.png'), await encodePng({ width: c.width, height: c.height, channels: 1, bitDepth: 8, data }));
  }
  if (c.normalsTruth) await writeFile(join(dir, 'normal_gt.png'), await encodeNormalsPng(c.normalsTruth, c.width, c.height));
}

/** Write a float height map as PFM. */
export async function writeDepthPfm(path: string, heightPx: Float32Array, width: number, height: number): Promise<void> {
  await writeFile(path, encodePfm({ width, height, data: heightPx }));
}
