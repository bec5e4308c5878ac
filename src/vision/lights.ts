import { createError } from '../core/errors.ts';
import type { FloatImage } from '../imaging/image.ts';

/**
 * Light vectors for photometric stereo, one set per square tile of pixels (x right, y up, z towards the
 * camera; length = irradiance scale). Distant lights are one tile covering the whole image. Near-field
 * LEDs vary smoothly across the card: at 150–300 mm an 8 px tile of ~21 µm pixels spans 0.17 mm, so the
 * direction changes by < 0.05° and the 1/r² intensity by < 0.2% inside a tile — below what the robust
 * solve can resolve, while it saves computing 16 light vectors per pixel.
 */
export interface LightField {
  /** Image size in px. */
  width: number;
  height: number;
  /** Tile edge in px; tilesX = ceil(width / tileSize). */
  tileSize: number;
  tilesX: number;
  tilesY: number;
  /** Number of lights. */
  count: number;
  /** [tile][light][3] light vectors, tile index = ty * tilesX + tx. */
  vectors: Float32Array;
}

/** Distant lights: unit directions (N×3, x right, y up, z to camera) scaled by relative intensities. */
export function distantLights(width: number, height: number, directions: ArrayLike<number>, intensities?: ArrayLike<number>): LightField {
  const count = directions.length / 3;
  if (!Number.isInteger(count) || count < 3) throw createError('GB_DATASET_INVALID', `need at least 3 light directions (N×3 values), got ${directions.length} values`);
  if (intensities && intensities.length !== count) throw createError('GB_DATASET_INVALID', `expected ${count} light intensities, got ${intensities.length}`);
  const size = Math.max(width, height);
  const vectors = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const x = directions[3 * i];
    const y = directions[3 * i + 1];
    const z = directions[3 * i + 2];
    const len = Math.hypot(x, y, z);
    if (!(len > 0)) throw createError('GB_DATASET_INVALID', `light ${i + 1}: direction has zero length`);
    const e = intensities ? intensities[i] : 1;
    if (!(e > 0)) throw createError('GB_DATASET_INVALID', `light ${i + 1}: intensity must be > 0, got ${e}`);
    vectors[3 * i] = (x / len) * e;
    vectors[3 * i + 1] = (y / len) * e;
    vectors[3 * i + 2] = (z / len) * e;
  }
  return { width, height, tileSize: size, tilesX: 1, tilesY: 1, count, vectors };
}

/** Near-field LED rig: positions in mm and a pixel → 3D surface point mapping, in the normals' frame. */
export interface NearFieldRig {
  /** N×3 LED positions in mm. */
  ledPositionsMm: ArrayLike<number>;
  /** Relative LED intensities (default 1 each), at the reference distance. */
  ledIntensities?: ArrayLike<number>;
  /** 3D surface point in mm seen at pixel (xPx, yPx) (pixel centres at integer coordinates). */
  pointMm(xPx: number, yPx: number): [number, number, number];
  /** Optional per-LED flat-field gain maps (any resolution; sampled bilinearly, stretched to the image). */
  gainMaps?: readonly FloatImage[];
  /** Distance in mm at which an LED's intensity is its nominal intensity (default: mean LED distance). */
  referenceDistanceMm?: number;
}

/** Bilinear sample of a gain map at normalised image coordinates u, v ∈ [0, 1]. */
function sampleGain(map: FloatImage, u: number, v: number): number {
  const x = Math.min(Math.max(u * map.width - 0.5, 0), map.width - 1);
  const y = Math.min(Math.max(v * map.height - 0.5, 0), map.height - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, map.width - 1);
  const y1 = Math.min(y0 + 1, map.height - 1);
  const fx = x - x0;
  const fy = y - y0;
  const d = map.data;
  const w = map.width;
  return (
    (d[y0 * w + x0] * (1 - fx) + d[y0 * w + x1] * fx) * (1 - fy) + (d[y1 * w + x0] * (1 - fx) + d[y1 * w + x1] * fx) * fy
  );
}

/** Per-tile near-field light vectors: E·gain·(d/|d|)·(Dref/|d|)² with d = LED − surface point (mm). */
export function nearFieldLights(width: number, height: number, rig: NearFieldRig, tileSize = 8): LightField {
  const count = rig.ledPositionsMm.length / 3;
  if (!Number.isInteger(count) || count < 3) throw createError('GB_DATASET_INVALID', `need at least 3 LED positions (N×3 mm), got ${rig.ledPositionsMm.length} values`);
  if (rig.gainMaps && rig.gainMaps.length !== count) throw createError('GB_DATASET_INVALID', `expected ${count} gain maps, got ${rig.gainMaps.length}`);
  if (!Number.isInteger(tileSize) || tileSize < 1) throw createError('GB_VISION_FAILED', `tileSize must be a positive integer, got ${tileSize}`);
  const tilesX = Math.ceil(width / tileSize);
  const tilesY = Math.ceil(height / tileSize);
  const p = rig.ledPositionsMm;
  let refMm = rig.referenceDistanceMm ?? 0;
  if (!(refMm > 0)) {
    const [cx, cy, cz] = rig.pointMm((width - 1) / 2, (height - 1) / 2);
    for (let i = 0; i < count; i++) refMm += Math.hypot(p[3 * i] - cx, p[3 * i + 1] - cy, p[3 * i + 2] - cz) / count;
  }
  const vectors = new Float32Array(tilesX * tilesY * count * 3);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      // Tile centre in pixel coordinates (pixel centres at integers), clamped to the image.
      const xc = Math.min(tx * tileSize + (tileSize - 1) / 2, width - 1);
      const yc = Math.min(ty * tileSize + (tileSize - 1) / 2, height - 1);
      const [sx, sy, sz] = rig.pointMm(xc, yc);
      const base = (ty * tilesX + tx) * count * 3;
      for (let i = 0; i < count; i++) {
        const dx = p[3 * i] - sx;
        const dy = p[3 * i + 1] - sy;
        const dz = p[3 * i + 2] - sz;
        const r = Math.hypot(dx, dy, dz);
        let e = rig.ledIntensities ? rig.ledIntensities[i] : 1;
        if (rig.gainMaps) e *= sampleGain(rig.gainMaps[i], (xc + 0.5) / width, (yc + 0.5) / height);
        const s = (e * refMm * refMm) / (r * r * r);
        vectors[base + 3 * i] = dx * s;
        vectors[base + 3 * i + 1] = dy * s;
        vectors[base + 3 * i + 2] = dz * s;
      }
    }
  }
  return { width, height, tileSize, tilesX, tilesY, count, vectors };
}

/** Keep only the chosen lights (0-based indices, in the given order). */
export function selectLights(field: LightField, indices: readonly number[]): LightField {
  const tiles = field.tilesX * field.tilesY;
  const vectors = new Float32Array(tiles * indices.length * 3);
  for (let t = 0; t < tiles; t++) {
    indices.forEach((li, k) => {
      for (let c = 0; c < 3; c++) vectors[(t * indices.length + k) * 3 + c] = field.vectors[(t * field.count + li) * 3 + c];
    });
  }
  return { ...field, count: indices.length, vectors };
}
