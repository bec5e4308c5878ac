// Where the booth simulator actually draws a card's outline, in image pixels (pixel centres at integers,
// the convention of src/vision/segment.ts).
//
// truth.json's `cornersPx` are the exact sharp-cornered top face (card size at z = thickness) projected
// through the camera. The renderer does not draw that outline exactly: the card is a set of maps sampled
// at `scene.mapPitchUm` (one sample per image pixel at every --size), the cover map is 0/1 at sample
// centres (src/sim/scenes/card.ts, roundedRectDistance ≤ 0) and everything is interpolated bilinearly
// between samples (src/sim/render/shading-kernel.ts). So a side is drawn between the last sample inside it
// (at full height) and the first one outside (on the tray), wherever the true side falls in that one-pitch
// gap: up to ±half a pixel per side, the same for every LED, so no image-based method can recover it.
// The card's thickness is a one-sample height ramp between those two samples (its edge "wall"), whose
// normals the slope maps smear over three samples.

import { pinholeFromSpec, projectPoint, type PinholeCamera } from '../../src/sim/geometry/camera-model.ts';
import type { CameraSpec } from '../../src/sim/geometry/booth-geometry.ts';
import { cardCornersMm, type CardTruth } from '../../src/sim/scenes/card.ts';

/** The truth.json fields this needs. */
export interface SimCardTruth {
  camera: { spec: CameraSpec; intrinsicsPx: { fx: number }; positionMm: number[] };
  scene: { mapPitchUm: number };
  card: Pick<CardTruth, 'widthMm' | 'heightMm' | 'thicknessMm' | 'placement' | 'bow'>;
  cornersPx: { points: number[][] };
}

/** Corners of the card outline as drawn, px (TL, TR, BR, BL of the card frame; pixel centres at integers). */
export interface DrawnOutline {
  /** truth.json's corners (the exact top face), shifted to integer pixel centres. */
  exact: [number, number][];
  /** Thin-card outline: the cover map's 0.5 crossing, midway between the last inside and first outside sample, at top-face height. */
  coverMid: [number, number][];
  /** Centre of the imaged edge wall: between its top (last full-height sample, z = thickness) and its foot (first tray sample, z = 0). */
  wallCentre: [number, number][];
  /** Half width and half height of the last map samples inside the card, and the map pitch, mm. */
  innerHalfMm: [number, number];
  pitchMm: number;
}

/**
 * Largest map sample coordinate ≤ half (mm): card.ts allocates its maps for (size + 1 mm) at the pitch,
 * ceil(size / pitch) + 2 samples, sample k at (k + 0.5 − samples / 2) × pitch (surface-maps.ts mapU/mapV).
 */
function lastSampleInside(sizeMm: number, pitchMm: number): number {
  const samples = Math.ceil((sizeMm + 1) / pitchMm) + 2;
  const k = Math.floor((sizeMm / 2) / pitchMm + samples / 2 - 0.5);
  let u = (k + 0.5 - samples / 2) * pitchMm;
  if (u > sizeMm / 2) u -= pitchMm;
  return u;
}

function project(cam: PinholeCamera, card: SimCardTruth['card'], halfW: number, halfH: number, zMm: number): [number, number][] {
  return cardCornersMm({ ...card, widthMm: 2 * halfW, heightMm: 2 * halfH, thicknessMm: zMm }).map((p) => {
    const [x, y] = projectPoint(cam, p);
    return [x - 0.5, y - 0.5];
  });
}

/** The outline the simulator draws for a card capture, from its truth.json. */
export function drawnOutline(truth: SimCardTruth): DrawnOutline {
  const cam = pinholeFromSpec(truth.camera.spec);
  const c = truth.card;
  const p = truth.scene.mapPitchUm / 1000;
  const uIn = lastSampleInside(c.widthMm, p);
  const vIn = lastSampleInside(c.heightMm, p);
  const top = project(cam, c, uIn, vIn, c.thicknessMm);
  const foot = project(cam, c, uIn + p, vIn + p, 0);
  return {
    exact: truth.cornersPx.points.map((q) => [q[0] - 0.5, q[1] - 0.5]),
    coverMid: project(cam, c, uIn + p / 2, vIn + p / 2, c.thicknessMm),
    wallCentre: top.map((q, k) => [(q[0] + foot[k][0]) / 2, (q[1] + foot[k][1]) / 2]),
    innerHalfMm: [uIn, vIn],
    pitchMm: p,
  };
}

/** Distance of each corner to its reference, px. */
export function cornerErrors(corners: readonly (readonly number[])[], reference: readonly (readonly number[])[]): number[] {
  return corners.map((q, k) => Math.hypot(q[0] - reference[k][0], q[1] - reference[k][1]));
}
