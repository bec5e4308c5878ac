// The card's outline drawn sub-sample exact on the map grid.
//
// The renderer interpolates every map bilinearly between samples, so a 0/1 outline would put each side
// midway between the last sample inside and the first outside (up to ±half a pitch off the true side). Here
// the samples near the outline carry a coverage fraction that is a linear ramp of the exact signed distance
// to the rounded rectangle, two pitches wide: the two samples either side of the true side both lie on
// the ramp, so the interpolated material crosses halfway exactly at the side, for any grid phase and
// rotation. The top face keeps its full height up to (and a little past) the outline, so the card's edge
// wall — hidden from a camera looking down at the card — neither tilts the normals of the top face nor
// shifts where the camera ray meets it.

import { roundedRectDistance } from './artwork.ts';
import { splitRows } from './build-helper.ts';
import { mapU, mapV, type SurfaceMaps } from './surface-maps.ts';

/** Half width of the coverage ramp, in map pitches (coverage 1 at −this, 0.5 on the outline, 0 at +this). */
export const OUTLINE_RAMP_HALF_PITCHES = 1;

/** The top face's height stays on for this many pitches past the outline before dropping to the tray. */
const PLATEAU_PITCHES = 2.5;

/** Coverage 0..1 of a map sample at signed distance distMm from the outline (positive outside). */
export function outlineCoverage(distMm: number, pitchMm: number): number {
  const a = 0.5 - distMm / (2 * OUTLINE_RAMP_HALF_PITCHES * pitchMm);
  return a <= 0 ? 0 : a >= 1 ? 1 : a;
}

/** The card's outline and undamaged top face (plain data: the build's helper thread gets a copy). */
export interface CardOutlineShape {
  halfW: number;
  halfH: number;
  radiusMm: number;
  thicknessMm: number;
  /** Bow amplitude (mm) along the long (v) or short (u) axis: height thickness + bow × (1 − s²). */
  bowMm: number;
  bowAxis: 'long' | 'short';
}

/** Signed distance to the outline at object-frame (u, v), mm (positive outside). */
export function outlineDistanceMm(shape: CardOutlineShape, u: number, v: number): number {
  return roundedRectDistance(u, v, shape.halfW, shape.halfH, shape.radiusMm);
}

/** Height of the undamaged top face (thickness + bow) at (u, v), mm, also just outside the outline. */
export function faceHeightMm(shape: CardOutlineShape, u: number, v: number): number {
  const s = shape.bowAxis === 'long' ? v / shape.halfH : u / shape.halfW;
  return shape.thicknessMm + shape.bowMm * (1 - s * s);
}

type Tray = { albedo: number; roughness: number; specularF0: number };

// Scratch reused from one scene build to the next (first touch of ~50 MB of fresh memory costs tens of ms
// of page faults at 12 MP; a build is synchronous, so one set per thread is enough). Shared memory: the
// build's helper thread works on it too.
let scratchDist: Float32Array = new Float32Array(0);
let scratchKind: Uint8Array = new Uint8Array(0);

function scratch(n: number): { dist: Float32Array; kind: Uint8Array } {
  if (scratchDist.length < n) {
    scratchDist = new Float32Array(new SharedArrayBuffer(n * 4));
    scratchKind = new Uint8Array(new SharedArrayBuffer(n));
  }
  return { dist: scratchDist.subarray(0, n), kind: scratchKind.subarray(0, n) };
}

/**
 * Before painting: mark the card (cover 1, face height, its roughness and F0) on every sample whose outline
 * coverage is not 0 — up to one ramp half-width past the outline; finishCardSurface anti-aliases it.
 * Returns the signed distances (mm, f32) that finishCardSurface takes back (valid until the next build).
 */
export function fillCardOutline(maps: SurfaceMaps, shape: CardOutlineShape, roughness: number, specularF0: number): Float32Array {
  const { dist } = scratch(maps.widthPx * maps.heightPx);
  splitRows('fillRows', [maps, shape, roughness, specularF0, dist], 0, maps.heightPx, (a, b) => fillRows(maps, shape, roughness, specularF0, dist, a, b));
  return dist;
}

/** fillCardOutline on map rows [y0, y1). */
export function fillRows(maps: SurfaceMaps, shape: CardOutlineShape, roughness: number, specularF0: number, dist: Float32Array, y0: number, y1: number): void {
  const { widthPx: w, pitchMm: p } = maps;
  const { cover, height, roughness: rough, specularF0: f0 } = maps;
  for (let y = y0; y < y1; y++) {
    const v = mapV(maps, y);
    const rowBase = y * w;
    for (let x = 0; x < w; x++) {
      const i = rowBase + x;
      const u = mapU(maps, x);
      const d = outlineDistanceMm(shape, u, v);
      dist[i] = d;
      if (outlineCoverage(d, p) === 0) continue;
      cover[i] = 1;
      height[i] = faceHeightMm(shape, u, v);
      rough[i] = roughness;
      f0[i] = specularF0;
    }
  }
}

/** Whether a sample within r of (x, y) has kind k. */
function near(kind: Uint8Array, w: number, h: number, i: number, x: number, y: number, k: number, r: number): boolean {
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
    const xx = x + dx, yy = y + dy;
    if (xx >= 0 && yy >= 0 && xx < w && yy < h && kind[i + dy * w + dx] === k) return true;
  }
  return false;
}

/**
 * After painting and defects: make the maps renderable (as finalizeSurface does) with an anti-aliased
 * outline. Samples that defects removed (chips, worn corners) keep their hard edges and wall slopes as
 * before. distMm: fillCardOutline's distances (computed here when absent).
 */
export function finishCardSurface(maps: SurfaceMaps, shape: CardOutlineShape, tray: Tray, distMm?: Float32Array): void {
  const { widthPx: w, heightPx: h } = maps;
  const { dist: scratchD, kind } = scratch(w * h);
  const dist = distMm ?? scratchD;
  if (!distMm) {
    for (let y = 0; y < h; y++) {
      const v = mapV(maps, y);
      for (let x = 0; x < w; x++) dist[y * w + x] = outlineDistanceMm(shape, mapU(maps, x), v);
    }
  }
  const trayPlain: Tray = { albedo: tray.albedo, roughness: tray.roughness, specularF0: tray.specularF0 };
  splitRows('kindRows', [maps, trayPlain, dist, kind], 0, h, (a, b) => kindRows(maps, trayPlain, dist, kind, a, b));
  // A sliver of the ramp outside the outline next to a chip would float beyond the bite: remove it too
  // (all slivers found first, then removed, as they must not see each other).
  const sliver: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (kind[i] === 1 && dist[i] > 0 && near(kind, w, h, i, x, y, 2, 1)) sliver.push(i);
  }
  for (const i of sliver) {
    kind[i] = 2;
    maps.cover[i] = 0;
    maps.height[i] = 0;
    maps.albedo[i] = tray.albedo;
    maps.roughness[i] = tray.roughness;
    maps.specularF0[i] = tray.specularF0;
  }
  splitRows('slopeRows', [maps, kind], 0, h, (a, b) => slopeRows(maps, kind, a, b));
  splitRows('finalRows', [maps, shape, trayPlain, dist, kind], 0, h, (a, b) => finalRows(maps, shape, trayPlain, dist, kind, a, b));
}

/** Rows [y0, y1): sample kinds (0 never card, 1 card, 2 removed by a defect); the tray where cover is 0. */
export function kindRows(maps: SurfaceMaps, tray: Tray, dist: Float32Array, kind: Uint8Array, y0: number, y1: number): void {
  const { widthPx: w, pitchMm: p, cover, height: hgt, albedo, roughness, specularF0 } = maps;
  // outlineCoverage(d) is 0 exactly when 0.5 − d/rampMm ≤ 0 (a positive value is never below 1e-17).
  const rampMm = 2 * OUTLINE_RAMP_HALF_PITCHES * p;
  const trayAlbedo = tray.albedo, trayRoughness = tray.roughness, trayF0 = tray.specularF0;
  for (let i = y0 * w; i < y1 * w; i++) {
    const cv = cover[i];
    kind[i] = 0.5 - dist[i] / rampMm <= 0 ? 0 : cv === 1 ? 1 : 2;
    // Where the object is absent the tray shows (height 0, tray material), as in finalizeSurface.
    if (cv === 0) {
      hgt[i] = 0;
      albedo[i] = trayAlbedo;
      roughness[i] = trayRoughness;
      specularF0[i] = trayF0;
    }
  }
}

/**
 * Rows [y0, y1) of the slopes (before the plateau heights of finalRows, which only touch never-card
 * samples). The tray is flat; the top face's slopes never look across its (hidden) edge wall: one-sided
 * differences where a neighbour is never-card (which are the central differences wherever all four
 * neighbours are card); samples removed by defects keep the plain central differences of finalizeSurface.
 */
export function slopeRows(maps: SurfaceMaps, kind: Uint8Array, y0: number, y1: number): void {
  const { widthPx: w, heightPx: h, pitchMm: p, height: hgt, slopeU, slopeV } = maps;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const k = kind[i];
      if (k === 0) { slopeU[i] = 0; slopeV[i] = 0; continue; }
      const any = k === 2;
      const l = x > 0 && (any || kind[i - 1] !== 0) ? i - 1 : i;
      const r = x < w - 1 && (any || kind[i + 1] !== 0) ? i + 1 : i;
      const u = y > 0 && (any || kind[i - w] !== 0) ? i - w : i;
      const d = y < h - 1 && (any || kind[i + w] !== 0) ? i + w : i;
      slopeU[i] = r === l ? 0 : (hgt[r] - hgt[l]) / ((r - l) * p);
      // Rows run down while v runs up.
      slopeV[i] = d === u ? 0 : (hgt[u] - hgt[d]) / (((d - u) / w) * p);
    }
  }
}

/** Rows [y0, y1): the outline's coverage ramp blended into the tray, the mask, the plateau past the outline. */
export function finalRows(maps: SurfaceMaps, shape: CardOutlineShape, tray: Tray, dist: Float32Array, kind: Uint8Array, y0: number, y1: number): void {
  const { widthPx: w, heightPx: h, pitchMm: p, cover, height: hgt, albedo, roughness, specularF0 } = maps;
  const rampMm = 2 * OUTLINE_RAMP_HALF_PITCHES * p;
  const trayAlbedo = tray.albedo, trayRoughness = tray.roughness, trayF0 = tray.specularF0;
  for (let y = y0; y < y1; y++) {
    const v = mapV(maps, y);
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const k = kind[i];
      if (k === 1) {
        // Deep inside (coverage 1, cover already 1) nothing changes.
        if (0.5 - dist[i] / rampMm >= 1) continue;
        // Coverage as f32 (the value the maps store).
        const c = Math.fround(outlineCoverage(dist[i], p));
        if (c < 1) {
          albedo[i] = c * albedo[i] + (1 - c) * trayAlbedo;
          roughness[i] = c * roughness[i] + (1 - c) * trayRoughness;
          specularF0[i] = c * specularF0[i] + (1 - c) * trayF0;
        }
        // The renderer's mask (cover ≥ 0.5 after interpolation) follows the ramp's halfway line.
        cover[i] = c >= 0.5 ? 1 : 0;
      } else if (k === 0 && dist[i] <= PLATEAU_PITCHES * p && !near(kind, w, h, i, x, y, 2, 2)) {
        // Tray material at the top face's height just past the outline: rays meet the face at its true edge.
        hgt[i] = faceHeightMm(shape, mapU(maps, x), v);
      }
    }
  }
}
