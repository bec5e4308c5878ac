// Synthetic camera images of a card for segmentation tests: a rounded rectangle at a known pose over a
// textured background, with its own print, anti-aliased by supersampling, with a little noise.
import { standardCard } from '../../src/vision/segment.ts';
import { rng } from './scenes.ts';

export interface CardImageOptions {
  width: number;
  height: number;
  umPerPx: number;
  angleDeg: number;
  cx: number;
  cy: number;
  seed: number;
  darkCard?: boolean;
  /** A light border ring, a dark 0.4 mm keyline inside it and dark print (the border alone is ~12% of the card). */
  keyline?: boolean;
  /**
   * A holo foil over a third of the card (value 1.5–3.5, speckled: its glints in the max over lights) on a
   * grey card (border 0.35, print 0.1–0.3) and a dark tray: brighter than the card by more than the card is
   * brighter than the tray.
   */
  holo?: boolean;
}

export interface CardImage {
  width: number;
  height: number;
  data: Float32Array;
  /** True virtual sharp corners, px. */
  corners: [number, number][];
  radiusPx: number;
  cardBorderLevel: number;
}

/** Smooth value noise in [0, 1] with the given cell size (bilinear between random lattice values). */
function valueNoise(seed: number, cell: number): (x: number, y: number) => number {
  const r = rng(seed);
  const lattice = new Float32Array(64 * 64).map(() => r());
  return (x, y) => {
    const gx = x / cell, gy = y / cell;
    const x0 = Math.floor(gx), y0 = Math.floor(gy);
    const fx = gx - x0, fy = gy - y0;
    const v = (i: number, j: number): number => lattice[(((j % 64) + 64) % 64) * 64 + (((i % 64) + 64) % 64)];
    return (v(x0, y0) * (1 - fx) + v(x0 + 1, y0) * fx) * (1 - fy) + (v(x0, y0 + 1) * (1 - fx) + v(x0 + 1, y0 + 1) * fx) * fy;
  };
}

/** Render the card image and its true corners. */
export function renderCardImage(o: CardImageOptions): CardImage {
  const hw = (standardCard.widthMm * 1000) / o.umPerPx / 2;
  const hh = (standardCard.heightMm * 1000) / o.umPerPx / 2;
  const rad = (standardCard.cornerRadiusMm * 1000) / o.umPerPx;
  const a = (o.angleDeg * Math.PI) / 180;
  const ca = Math.cos(a), sa = Math.sin(a);
  const bg = valueNoise(o.seed, 23);
  const bg2 = valueNoise(o.seed + 7, 5);
  const print = valueNoise(o.seed + 13, 9);
  const border = o.darkCard ? 0.12 : o.holo ? 0.35 : 0.85;
  const borderPx = 3000 / o.umPerPx;
  // Card-local coordinates (u along width, v along height) of an image point.
  const local = (x: number, y: number): [number, number] => {
    const dx = x - o.cx, dy = y - o.cy;
    return [ca * dx + sa * dy, -sa * dx + ca * dy];
  };
  const inside = (u: number, v: number): boolean => {
    const qx = Math.min(Math.max(u, -hw + rad), hw - rad);
    const qy = Math.min(Math.max(v, -hh + rad), hh - rad);
    return Math.hypot(u - qx, v - qy) <= rad;
  };
  const cardValue = (u: number, v: number): number => {
    if (Math.abs(u) > hw - borderPx || Math.abs(v) > hh - borderPx) return border;
    if (o.holo) {
      if (u > -0.1 * hw && u < 0.75 * hw && v > -0.5 * hh && v < 0.6 * hh) return 1.5 + 2 * noise();
      return Math.abs(u) > hw - borderPx || Math.abs(v) > hh - borderPx ? 0.35 : 0.1 + 0.2 * print(u, v);
    }
    if (o.keyline) return Math.abs(u) > hw - borderPx - 400 / o.umPerPx || Math.abs(v) > hh - borderPx - 400 / o.umPerPx ? 0.05 : 0.1 + 0.15 * print(u, v);
    return o.darkCard ? 0.2 + 0.5 * print(u, v) : 0.15 + 0.6 * print(u, v);
  };
  const bgValue = (x: number, y: number): number => (o.holo ? 0.04 + 0.04 * bg(x, y) : o.darkCard ? 0.6 + 0.3 * bg(x, y) : 0.1 + 0.25 * bg(x, y) + 0.1 * bg2(x, y));
  const noise = rng(o.seed + 99);
  const data = new Float32Array(o.width * o.height);
  const ss = 4;
  for (let y = 0; y < o.height; y++) {
    for (let x = 0; x < o.width; x++) {
      const [u, v] = local(x, y);
      const near = Math.abs(Math.abs(u) - hw) < 1.5 || Math.abs(Math.abs(v) - hh) < 1.5 || (Math.abs(u) > hw - rad - 2 && Math.abs(v) > hh - rad - 2);
      let val: number;
      if (!near) {
        val = inside(u, v) ? cardValue(u, v) : bgValue(x, y);
      } else {
        val = 0;
        for (let j = 0; j < ss; j++) {
          for (let i = 0; i < ss; i++) {
            const sx = x + (i + 0.5) / ss - 0.5, sy = y + (j + 0.5) / ss - 0.5;
            const [su, sv] = local(sx, sy);
            val += inside(su, sv) ? cardValue(su, sv) : bgValue(sx, sy);
          }
        }
        val /= ss * ss;
      }
      data[y * o.width + x] = val + (noise() - 0.5) * 0.01;
    }
  }
  const corner = (u: number, v: number): [number, number] => [o.cx + ca * u - sa * v, o.cy + sa * u + ca * v];
  return { width: o.width, height: o.height, data, corners: [corner(-hw, -hh), corner(hw, -hh), corner(hw, hh), corner(-hw, hh)], radiusPx: rad, cardBorderLevel: border };
}
