// Rectified card maps drawn directly (no rendering): a card on a dark tray with a chosen print frame,
// per-corner radii, edge bites and artwork, 4× supersampled so edges are sub-pixel exact. For testing the
// measurements' geometry against exact figures.
import type { CardSideMaps } from '../../src/grading/types.ts';

export interface SyntheticCard {
  umPerPx: number;
  marginMm: number;
  widthMm?: number;
  heightMm?: number;
  /** Corner radii tl, tr, br, bl, mm. */
  radiiMm?: [number, number, number, number];
  /** Print frame: borders in mm at the top/left end and the bottom/right end (diamond cut when they differ). */
  border?: { left: [number, number]; right: [number, number]; top: [number, number]; bottom: [number, number] };
  /** No border: artwork to the edge. */
  fullArt?: boolean;
  /** Circular bites out of the outline: centre on the edge (card frame mm, y up) and radius mm. */
  bites?: { xMm: number; yMm: number; rMm: number }[];
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let z = s; z = Math.imul(z ^ (z >>> 15), z | 1); z ^= z + Math.imul(z ^ (z >>> 7), z | 61); return ((z ^ (z >>> 14)) >>> 0) / 4294967296; };
}

/** Draw the maps (card centred, margins around it, as reconstructSide lays them out). */
export function syntheticMaps(o: SyntheticCard): CardSideMaps {
  const W = o.widthMm ?? 63.5, H = o.heightMm ?? 88.9;
  const px = 1000 / o.umPerPx;
  const cw = Math.round(W * px), ch = Math.round(H * px), m = Math.round(o.marginMm * px);
  const w = cw + 2 * m, h = ch + 2 * m;
  const radii = o.radiiMm ?? [3.2, 3.2, 3.2, 3.2];
  const left = m - 0.5, top = m - 0.5;
  const r = rng(o.seed ?? 1);
  const waves = Array.from({ length: 3 }, () => ({ kx: 0.2 + r(), ky: 0.2 + r(), ph: 6 * r() }));
  const inside = (u: number, v: number): boolean => {
    // u, v in mm from the card's top-left corner (v down).
    if (u < 0 || v < 0 || u > W || v > H) return false;
    const k = u < W / 2 ? (v < H / 2 ? 0 : 3) : v < H / 2 ? 1 : 2;
    const R = radii[k];
    const cx = k === 0 || k === 3 ? R : W - R, cy = k <= 1 ? R : H - R;
    if ((k === 0 || k === 3 ? u < cx : u > cx) && (k <= 1 ? v < cy : v > cy) && Math.hypot(u - cx, v - cy) > R) return false;
    for (const b of o.bites ?? []) if (Math.hypot(u - (b.xMm + W / 2), v - (H / 2 - b.yMm)) < b.rMm) return false;
    return true;
  };
  const art = (u: number, v: number): number => 0.45 + waves.reduce((s, q) => s + 0.08 * Math.sin(q.kx * u + q.ky * v + q.ph), 0);
  const value = (u: number, v: number): number => {
    if (!inside(u, v)) return 0.1;
    if (o.fullArt) return art(u, v);
    const b = o.border ?? { left: [3, 3], right: [3, 3], top: [3, 3], bottom: [3, 3] };
    const fy = v / H, fx = u / W;
    const l = b.left[0] + (b.left[1] - b.left[0]) * fy, rr = b.right[0] + (b.right[1] - b.right[0]) * fy;
    const tt = b.top[0] + (b.top[1] - b.top[0]) * fx, bb = b.bottom[0] + (b.bottom[1] - b.bottom[0]) * fx;
    if (u < l || u > W - rr || v < tt || v > H - bb) return 0.82;
    return art(u, v);
  };
  const albedo = new Float32Array(w * h);
  const centre = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) centre[y * w + x] = value((x - left) / px, (y - top) / px);
  // Supersample (4×4) only where a neighbour differs: the edges; smooth art needs none.
  const ss = 4;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, c = centre[i];
      const edge = (x > 0 && Math.abs(centre[i - 1] - c) > 0.05) || (x + 1 < w && Math.abs(centre[i + 1] - c) > 0.05) || (y > 0 && Math.abs(centre[i - w] - c) > 0.05) || (y + 1 < h && Math.abs(centre[i + w] - c) > 0.05);
      let s = c;
      if (edge) {
        s = 0;
        for (let j = 0; j < ss; j++) for (let k = 0; k < ss; k++) s += value((x + (k + 0.5) / ss - 0.5 - left) / px, (y + (j + 0.5) / ss - 0.5 - top) / px);
        s /= ss * ss;
      }
      albedo[i] = s * (1 + 0.01 * (r() - 0.5));
    }
  }
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) mask[y * w + x] = inside((x - left) / px, (y - top) / px) ? 1 : 0;
  const normals = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++) normals[3 * i + 2] = 1;
  return { side: 'front', widthPx: w, heightPx: h, umPerPx: o.umPerPx, mask, normals, albedo, reliefUm: new Float32Array(w * h), confidence: new Float32Array(w * h).fill(1) };
}
