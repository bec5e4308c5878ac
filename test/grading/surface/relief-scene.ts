import type { CardSideMaps } from '../../../src/grading/types.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

// Synthetic relief for the measured-defect tests (folds, dents beside folds): a flat side at the model's
// scale with uniform relief noise, and features carved into it in the card frame (mm from the centre, x
// right, y up), shaped as a second renderer (scripts/eval/foreign_card.py) draws them.

/** A flat side of widthMm × heightMm at `um` µm/px, relief noise uniform in ±noiseUm / 2. */
export function flatSide(widthMm: number, heightMm: number, um: number, seed: number, noiseUm = 2): CardSideMaps {
  const W = Math.round((widthMm * 1000) / um), H = Math.round((heightMm * 1000) / um), n = W * H, rand = mulberry32(seed);
  const maps: CardSideMaps = { side: 'front', widthPx: W, heightPx: H, umPerPx: um, mask: new Uint8Array(n).fill(1), normals: new Float32Array(3 * n), albedo: new Float32Array(n).fill(0.5), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(0.95) };
  for (let i = 0; i < n; i++) { maps.normals[3 * i + 2] = 1; maps.reliefUm[i] = (rand() - 0.5) * noiseUm; }
  return maps;
}

/** Add a relief feature f(along, across) (mm from `centreMm`, along `angleDeg`) in µm. */
export function carve(maps: CardSideMaps, centreMm: [number, number], angleDeg: number, f: (al: number, ac: number) => number): void {
  const { widthPx: W, heightPx: H, umPerPx: um } = maps;
  const th = (angleDeg * Math.PI) / 180, c = Math.cos(th), s = Math.sin(th);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = ((x + 0.5 - W / 2) * um) / 1000 - centreMm[0], v = ((H / 2 - y - 0.5) * um) / 1000 - centreMm[1];
      maps.reliefUm[y * W + x] += f(u * c + v * s, -u * s + v * c);
    }
  }
}

/** A fold: a valley with raised shoulders, its depth tapering at both ends. */
export const fold = (lengthMm: number, widthMm: number, depthUm: number) => (al: number, ac: number): number => {
  const along = Math.max(0, 1 - (Math.abs(al) / (lengthMm / 2)) ** 4);
  return -depthUm * along * (Math.exp(-((ac / (widthMm / 2)) ** 2)) - 0.25 * Math.exp(-((ac / widthMm) ** 2)));
};
/** A scratch: a V-groove. */
export const vGroove = (lengthMm: number, widthMm: number, depthUm: number) => (al: number, ac: number): number =>
  Math.abs(al) <= lengthMm / 2 ? -depthUm * Math.max(0, 1 - Math.abs(ac) / (widthMm / 2)) : 0;
/** A dent: a Gaussian depression (radiusMm = 2σ). */
export const dent = (radiusMm: number, depthUm: number) => (al: number, ac: number): number => -depthUm * Math.exp(-(al * al + ac * ac) / (2 * (radiusMm / 2) ** 2));
