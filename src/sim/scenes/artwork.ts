import type { SeededRandom } from '../random.ts';
import { forEachInBox, type SurfaceMaps } from './surface-maps.ts';

/** The printed frame: the artwork rectangle in the card frame (mm). Borders follow from it. */
export interface PrintFrame {
  uMin: number;
  uMax: number;
  vMin: number;
  vMax: number;
}

/** Signed distance (mm, negative inside) from (u, v) to a rounded rectangle centred at the origin. */
export function roundedRectDistance(u: number, v: number, halfW: number, halfH: number, radius: number): number {
  const qx = Math.abs(u) - (halfW - radius);
  const qy = Math.abs(v) - (halfH - radius);
  const ox = Math.max(qx, 0);
  const oy = Math.max(qy, 0);
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0) - radius;
}

interface Blob {
  u: number;
  v: number;
  ru: number;
  rv: number;
  albedo: number;
}

/**
 * Paint the printed face: border, a dark keyline around the artwork, procedural artwork (waves, blobs, a
 * name bar and a text box) inside the print frame. Albedo only: print has no relief.
 */
export function paintCardFace(maps: SurfaceMaps, frame: PrintFrame, side: 'front' | 'back', rng: SeededRandom, halfW: number, halfH: number): void {
  const borderAlbedo = side === 'front' ? rng.range(0.78, 0.86) : rng.range(0.5, 0.6);
  const keyline = 0.4;
  const waves = Array.from({ length: 4 }, () => ({ ku: rng.range(0.05, 0.5), kv: rng.range(0.05, 0.5), ph: rng.range(0, 6.3), a: rng.range(0.03, 0.08) }));
  const blobs: Blob[] = Array.from({ length: side === 'front' ? 10 : 4 }, () => ({
    u: rng.range(frame.uMin, frame.uMax),
    v: rng.range(frame.vMin, frame.vMax),
    ru: rng.range(2, 12),
    rv: rng.range(2, 12),
    albedo: rng.range(0.15, 0.75),
  }));
  const base = rng.range(0.35, 0.55);
  const nameBarV = frame.vMax - 7;
  const textBoxV = frame.vMin + 22;
  forEachInBox(maps, -halfW, -halfH, halfW, halfH, (i, u, v) => {
    let a: number;
    if (u < frame.uMin || u > frame.uMax || v < frame.vMin || v > frame.vMax) {
      a = borderAlbedo;
    } else if (u < frame.uMin + keyline || u > frame.uMax - keyline || v < frame.vMin + keyline || v > frame.vMax - keyline) {
      a = 0.07;
    } else if (side === 'back') {
      // A card back: concentric rings around the centre of the print frame.
      const cu = (frame.uMin + frame.uMax) / 2;
      const cv = (frame.vMin + frame.vMax) / 2;
      const r = Math.hypot(u - cu, (v - cv) * 0.8);
      a = 0.35 + 0.2 * Math.cos(r * 0.9) + waves[0].a * Math.sin(u * waves[0].ku + v * waves[0].kv);
    } else if (v > nameBarV) {
      a = 0.72;
    } else if (v < textBoxV) {
      // Text box: pale panel with rows of dark "glyph" dashes.
      const row = Math.floor((textBoxV - v) / 1.6);
      const inRow = (textBoxV - v) % 1.6 < 0.8 && row > 0 && row < 12;
      const glyph = Math.sin(u * 4.1 + row * 1.7) > 0.3;
      a = inRow && glyph ? 0.18 : 0.7;
    } else {
      a = base;
      for (const w of waves) a += w.a * Math.sin(u * w.ku + v * w.kv + w.ph);
      for (const b of blobs) {
        const du = (u - b.u) / b.ru;
        const dv = (v - b.v) / b.rv;
        const d2 = du * du + dv * dv;
        if (d2 < 1) a += (b.albedo - a) * Math.min(1, (1 - d2) * 4);
      }
    }
    maps.albedo[i] = Math.min(0.86, Math.max(0.05, a));
  });
}

/** A printed foil/holo region: higher specular reflectance with a diffraction-like stripe pattern, no relief. */
export interface FoilTruth {
  centerMm: [number, number];
  halfSizeMm: [number, number];
  specularF0Range: [number, number];
  roughness: number;
}

/** Paint a foil rectangle inside the print frame; returns its truth (printed pattern, no height change). */
export function paintFoil(maps: SurfaceMaps, frame: PrintFrame, rng: SeededRandom): FoilTruth {
  const cu = rng.range(frame.uMin + 12, frame.uMax - 12);
  const cv = rng.range(frame.vMin + 25, frame.vMax - 20);
  const hu = rng.range(6, 10);
  const hv = rng.range(6, 12);
  const roughness = 0.12;
  const k = rng.range(3, 6);
  forEachInBox(maps, cu - hu, cv - hv, cu + hu, cv + hv, (i, u, v) => {
    const stripe = 0.5 + 0.5 * Math.sin((u + v * 0.6) * k);
    maps.specularF0[i] = 0.35 + 0.4 * stripe;
    maps.albedo[i] = 0.08 + 0.06 * stripe;
    maps.roughness[i] = roughness;
  });
  return { centerMm: [cu, cv], halfSizeMm: [hu, hv], specularF0Range: [0.35, 0.75], roughness };
}
