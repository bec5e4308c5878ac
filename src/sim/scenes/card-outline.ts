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

import { finalizeSurface, mapU, mapV, type SurfaceMaps } from './surface-maps.ts';

/** Half width of the coverage ramp, in map pitches (coverage 1 at −this, 0.5 on the outline, 0 at +this). */
export const OUTLINE_RAMP_HALF_PITCHES = 1;

/** The top face's height stays on for this many pitches past the outline before dropping to the tray. */
const PLATEAU_PITCHES = 2.5;

/** Coverage 0..1 of a map sample at signed distance distMm from the outline (positive outside). */
export function outlineCoverage(distMm: number, pitchMm: number): number {
  const a = 0.5 - distMm / (2 * OUTLINE_RAMP_HALF_PITCHES * pitchMm);
  return a <= 0 ? 0 : a >= 1 ? 1 : a;
}

/** What finishCardSurface needs to know about the card. */
export interface CardOutlineShape {
  /** Signed distance to the outline at object-frame (u, v), mm (positive outside). */
  distanceMm(u: number, v: number): number;
  /** Height of the undamaged top face (thickness + bow) at (u, v), mm, also just outside the outline. */
  faceHeightMm(u: number, v: number): number;
}

/**
 * After painting and defects: make the maps renderable (finalizeSurface) with an anti-aliased outline.
 * Samples that defects removed (chips, worn corners) keep their hard edges and wall slopes as before.
 */
export function finishCardSurface(maps: SurfaceMaps, shape: CardOutlineShape, tray: { albedo: number; roughness: number; specularF0: number }): void {
  const { widthPx: w, heightPx: h, pitchMm: p } = maps;
  const n = w * h;
  const a0 = new Float32Array(n);
  const dist = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    const v = mapV(maps, y);
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      dist[i] = shape.distanceMm(mapU(maps, x), v);
      a0[i] = outlineCoverage(dist[i], p);
    }
  }
  // 0 never card, 1 card, 2 removed by a defect.
  const kind = new Uint8Array(n);
  for (let i = 0; i < n; i++) kind[i] = a0[i] === 0 ? 0 : maps.cover[i] === 1 ? 1 : 2;
  // A sliver of the ramp outside the outline next to a chip would float beyond the bite: remove it too.
  const near = (i: number, x: number, y: number, k: number, r: number): boolean => {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < w && yy < h && kind[i + dy * w + dx] === k) return true;
    }
    return false;
  };
  const sliver: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (kind[i] === 1 && dist[i] > 0 && near(i, x, y, 2, 1)) sliver.push(i);
  }
  for (const i of sliver) { kind[i] = 2; maps.cover[i] = 0; }

  const coverage = new Float32Array(n);
  for (let i = 0; i < n; i++) coverage[i] = kind[i] === 1 ? a0[i] : 0;
  finalizeSurface(maps, tray);

  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    const c = coverage[i];
    if (c > 0 && c < 1) {
      maps.albedo[i] = c * maps.albedo[i] + (1 - c) * tray.albedo;
      maps.roughness[i] = c * maps.roughness[i] + (1 - c) * tray.roughness;
      maps.specularF0[i] = c * maps.specularF0[i] + (1 - c) * tray.specularF0;
    }
    // The renderer's mask (cover ≥ 0.5 after interpolation) follows the ramp's halfway line.
    if (kind[i] === 1) maps.cover[i] = c >= 0.5 ? 1 : 0;
    // Tray material at the top face's height just past the outline: rays meet the face at its true edge.
    if (kind[i] === 0 && dist[i] <= PLATEAU_PITCHES * p && !near(i, x, y, 2, 2)) maps.height[i] = shape.faceHeightMm(mapU(maps, x), mapV(maps, y));
  }

  // Slopes: the tray is flat; the top face's slopes never look across its (hidden) edge wall. Elsewhere
  // (inside the card, at defects) finalizeSurface's central differences stand.
  const hgt = maps.height;
  const isCard = (j: number): boolean => kind[j] !== 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (kind[i] === 0) { maps.slopeU[i] = 0; maps.slopeV[i] = 0; continue; }
    if (kind[i] === 2) continue;
    const l = x > 0 && isCard(i - 1) ? i - 1 : i;
    const r = x < w - 1 && isCard(i + 1) ? i + 1 : i;
    const up = y > 0 && isCard(i - w) ? i - w : i;
    const dn = y < h - 1 && isCard(i + w) ? i + w : i;
    if (r - l === 2 && dn - up === 2 * w) continue;
    maps.slopeU[i] = r === l ? 0 : (hgt[r] - hgt[l]) / ((r - l) * p);
    maps.slopeV[i] = dn === up ? 0 : (hgt[up] - hgt[dn]) / (((dn - up) / w) * p);
  }
}
