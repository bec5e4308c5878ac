import type { SeededRandom } from '../random.ts';
import { splitRows } from './build-helper.ts';
import { boxIndices, forEachInBox, mapU, mapV, type SurfaceMaps } from './surface-maps.ts';

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

export interface ArtBlob {
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
  const blobs: ArtBlob[] = Array.from({ length: side === 'front' ? 10 : 4 }, () => ({
    u: rng.range(frame.uMin, frame.uMax),
    v: rng.range(frame.vMin, frame.vMax),
    ru: rng.range(2, 12),
    rv: rng.range(2, 12),
    albedo: rng.range(0.15, 0.75),
  }));
  const base = rng.range(0.35, 0.55);
  const plan: FacePlan = { frame, side, halfW, halfH, borderAlbedo, keyline, waves, blobs, base };
  const { y0, y1 } = boxIndices(maps, -halfW, -halfH, halfW, halfH);
  splitRows('paintRows', [maps, plan], y0, y1 + 1, (a, b) => paintRows(maps, plan, a, b));
}

/** The printed face's random draws (plain data: the build's helper thread paints from a copy). */
export interface FacePlan {
  frame: PrintFrame;
  side: 'front' | 'back';
  halfW: number;
  halfH: number;
  borderAlbedo: number;
  keyline: number;
  waves: { ku: number; kv: number; ph: number; a: number }[];
  blobs: ArtBlob[];
  base: number;
}

/** paintCardFace on map rows [rowStart, rowEnd) (clipped to the card's box). */
export function paintRows(maps: SurfaceMaps, plan: FacePlan, rowStart: number, rowEnd: number): void {
  const { frame, side, halfW, halfH, borderAlbedo, keyline, waves, blobs, base } = plan;
  const nameBarV = frame.vMax - 7;
  const textBoxV = frame.vMin + 22;
  // Row by row (this is the scene build's hottest loop, ~10 M samples at 12 MP): sin(u·ku + v·kv + φ) by the
  // angle-addition formula from per-column and per-row tables (4 sines per sample → 4 multiply-adds; equal
  // up to double rounding), and only the blobs whose extent covers the row.
  const box = boxIndices(maps, -halfW, -halfH, halfW, halfH);
  const { x0, x1 } = box;
  const y0 = Math.max(box.y0, rowStart);
  const y1 = Math.min(box.y1, rowEnd - 1);
  const nx = x1 - x0 + 1;
  const us = new Float64Array(nx);
  for (let x = x0; x <= x1; x++) us[x - x0] = mapU(maps, x);
  const colSin = waves.map((w) => us.map((u) => Math.sin(u * w.ku)));
  const colCos = waves.map((w) => us.map((u) => Math.cos(u * w.ku)));
  const glyphSin = us.map((u) => Math.sin(u * 4.1));
  const glyphCos = us.map((u) => Math.cos(u * 4.1));
  const [s0, s1, s2, s3] = colSin;
  const [c0, c1, c2, c3] = colCos;
  const rowSin = new Float64Array(4);
  const rowCos = new Float64Array(4);
  const rowBlobs: ArtBlob[] = [];
  const rowA = new Float64Array(nx);
  // Column ranges (us increases with j): print frame [jf0, jf1], inside the keyline [jk0, jk1].
  let jf0 = 0;
  while (jf0 < nx && us[jf0] < frame.uMin) jf0++;
  let jf1 = nx - 1;
  while (jf1 >= 0 && us[jf1] > frame.uMax) jf1--;
  let jk0 = jf0;
  while (jk0 < nx && us[jk0] < frame.uMin + keyline) jk0++;
  let jk1 = jf1;
  while (jk1 >= 0 && us[jk1] > frame.uMax - keyline) jk1--;
  const albedo = maps.albedo;
  const cu = (frame.uMin + frame.uMax) / 2;
  const cv = (frame.vMin + frame.vMax) / 2;
  for (let y = y0; y <= y1; y++) {
    const v = mapV(maps, y);
    const rowBase = y * maps.widthPx;
    const inFrameV = v >= frame.vMin && v <= frame.vMax;
    const keylineV = v < frame.vMin + keyline || v > frame.vMax - keyline;
    for (let k = 0; k < 4; k++) {
      rowSin[k] = Math.sin(v * waves[k].kv + waves[k].ph);
      rowCos[k] = Math.cos(v * waves[k].kv + waves[k].ph);
    }
    const a0 = waves[0].a, a1 = waves[1].a, a2 = waves[2].a, a3 = waves[3].a;
    const rs0 = rowSin[0], rs1 = rowSin[1], rs2 = rowSin[2], rs3 = rowSin[3];
    const rc0 = rowCos[0], rc1 = rowCos[1], rc2 = rowCos[2], rc3 = rowCos[3];
    rowBlobs.length = 0;
    for (const b of blobs) if (Math.abs(v - b.v) < b.rv) rowBlobs.push(b);
    const textRow = Math.floor((textBoxV - v) / 1.6);
    const inTextRow = (textBoxV - v) % 1.6 < 0.8 && textRow > 0 && textRow < 12;
    const glyphS = Math.sin(textRow * 1.7);
    const glyphC = Math.cos(textRow * 1.7);
    const backWaveRow = Math.sin(v * waves[0].kv);
    const backWaveRowC = Math.cos(v * waves[0].kv);
    // Pass 1: each sample's base albedo, by column ranges (border | keyline | interior | keyline | border).
    let art = false;
    if (!inFrameV) {
      rowA.fill(borderAlbedo);
    } else {
      rowA.fill(borderAlbedo, 0, jf0);
      rowA.fill(borderAlbedo, jf1 + 1);
      if (keylineV) {
        rowA.fill(0.07, jf0, jf1 + 1);
      } else {
        rowA.fill(0.07, jf0, Math.min(jk0, jf1 + 1));
        rowA.fill(0.07, Math.max(jk1 + 1, jf0), jf1 + 1);
        if (side === 'back') {
          // A card back: concentric rings around the centre of the print frame.
          const dv = (v - cv) * 0.8;
          for (let j = jk0; j <= jk1; j++) {
            const du = us[j] - cu;
            const r = Math.sqrt(du * du + dv * dv);
            rowA[j] = 0.35 + 0.2 * Math.cos(r * 0.9) + a0 * (s0[j] * backWaveRowC + c0[j] * backWaveRow);
          }
        } else if (v > nameBarV) {
          rowA.fill(0.72, jk0, jk1 + 1);
        } else if (v < textBoxV) {
          // Text box: pale panel with rows of dark "glyph" dashes.
          for (let j = jk0; j <= jk1; j++) rowA[j] = inTextRow && glyphSin[j] * glyphC + glyphCos[j] * glyphS > 0.3 ? 0.18 : 0.7;
        } else {
          art = true;
          for (let j = jk0; j <= jk1; j++) {
            let a = base + a0 * (s0[j] * rc0 + c0[j] * rs0);
            a += a1 * (s1[j] * rc1 + c1[j] * rs1);
            a += a2 * (s2[j] * rc2 + c2[j] * rs2);
            rowA[j] = a + a3 * (s3[j] * rc3 + c3[j] * rs3);
          }
        }
      }
    }
    // Pass 2: blobs in order (each sample sees them in the same order as one loop per sample would), each
    // over its own artwork columns only.
    for (let k = 0; art && k < rowBlobs.length; k++) {
      const b = rowBlobs[k];
      const ja = Math.max(jk0, Math.floor((b.u - b.ru) / maps.pitchMm + maps.widthPx / 2 - 0.5) - 1 - x0);
      const jb = Math.min(jk1, Math.ceil((b.u + b.ru) / maps.pitchMm + maps.widthPx / 2 - 0.5) + 1 - x0);
      const dv = (v - b.v) / b.rv;
      for (let j = ja; j <= jb; j++) {
        const du = (us[j] - b.u) / b.ru;
        const d2 = du * du + dv * dv;
        if (d2 < 1) rowA[j] += (b.albedo - rowA[j]) * Math.min(1, (1 - d2) * 4);
      }
    }
    for (let j = 0; j < nx; j++) albedo[rowBase + x0 + j] = Math.min(0.86, Math.max(0.05, rowA[j]));
  }
}

/**
 * The two kinds of foil a card may carry. `print`: a small patch (12–20 × 12–24 mm) of glossy ink with a
 * stripe pattern in its reflectance; its glints do not fit a Lambertian surface either, but its normals are
 * the card's. `holo`: an embossed, metallised hologram over much of the art, whose reflection is mostly
 * specular and whose micro-facets tilt the shading normal from cell to cell: photometric stereo's misfit is
 * high over all of it and its integrated relief wanders, as a real holo's does (and a second renderer's
 * grating foil: misfit ~0.95 over the patch, relief ±350 µm), while a dent or scratch pressed into it is
 * still relief.
 */
export type FoilStyle = 'print' | 'holo';

/** A foil region: higher specular reflectance with a diffraction-like pattern (see FoilStyle). */
export interface FoilTruth {
  style: FoilStyle;
  centerMm: [number, number];
  halfSizeMm: [number, number];
  specularF0Range: [number, number];
  roughness: number;
  /** holo: side of a micro-facet cell, mm, and the spread of its tilt, degrees (each axis). */
  facetCellMm?: number;
  facetTiltDeg?: number;
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
  return { style: 'print', centerMm: [cu, cv], halfSizeMm: [hu, hv], specularF0Range: [0.35, 0.75], roughness };
}

/**
 * Paint an embossed holo foil inside the print frame (FoilStyle 'holo'): 20–44 × 24–60 mm, up to the
 * whole frame, metallised (the print shows through at a tenth of its albedo, F0 0.5–0.9 in a rainbow
 * pattern, GGX roughness 0.15–0.35). Its facets are tilted later, on the finished slopes (tiltHoloFacets).
 */
export function paintHoloFoil(maps: SurfaceMaps, frame: PrintFrame, rng: SeededRandom): FoilTruth {
  const hu = Math.min(rng.range(10, 22), (frame.uMax - frame.uMin) / 2);
  const hv = Math.min(rng.range(12, 30), (frame.vMax - frame.vMin) / 2);
  const cu = rng.range(frame.uMin + hu, frame.uMax - hu);
  const cv = rng.range(frame.vMin + hv, frame.vMax - hv);
  const roughness = rng.range(0.15, 0.35);
  const k = rng.range(2, 8), phase = rng.range(0, 2 * Math.PI), angle = rng.range(0, Math.PI);
  const ca = Math.cos(angle), sa = Math.sin(angle);
  forEachInBox(maps, cu - hu, cv - hv, cu + hu, cv + hv, (i, u, v) => {
    const rainbow = 0.5 + 0.5 * Math.sin((u * ca + v * sa) * k + phase + 0.8 * Math.sin(u * 1.3 - v * 0.7));
    maps.specularF0[i] = 0.5 + 0.4 * rainbow;
    maps.albedo[i] = 0.02 + 0.1 * maps.albedo[i];
    maps.roughness[i] = roughness;
  });
  return { style: 'holo', centerMm: [cu, cv], halfSizeMm: [hu, hv], specularF0Range: [0.5, 0.9], roughness, facetCellMm: rng.range(0.08, 0.3), facetTiltDeg: rng.range(2, 8) };
}

/**
 * Tilt the shading normal of a holo foil's micro-facets: on the finished slopes (they come from the height,
 * defects included), each cell of facetCellMm gets its own tilt, normal with facetTiltDeg per axis, plus an
 * embossed ripple of the same size. The height is unchanged (the facets are far below a pixel's depth).
 */
export function tiltHoloFacets(maps: SurfaceMaps, foil: FoilTruth, rng: SeededRandom): void {
  if (foil.style !== 'holo' || foil.facetCellMm === undefined || foil.facetTiltDeg === undefined) return;
  const cell = foil.facetCellMm, spread = Math.tan((foil.facetTiltDeg * Math.PI) / 180);
  const [cu, cv] = foil.centerMm, [hu, hv] = foil.halfSizeMm;
  const nu = Math.ceil((2 * hu) / cell) + 1, nv = Math.ceil((2 * hv) / cell) + 1;
  const tu = new Float32Array(nu * nv), tv = new Float32Array(nu * nv);
  for (let j = 0; j < tu.length; j++) { tu[j] = spread * rng.normal(); tv[j] = spread * rng.normal(); }
  const ripple = (2 * Math.PI) / (4 * cell);
  forEachInBox(maps, cu - hu, cv - hv, cu + hu, cv + hv, (i, u, v) => {
    if (maps.cover[i] === 0) return;
    const a = Math.min(nu - 1, Math.max(0, Math.floor((u - cu + hu) / cell))), b = Math.min(nv - 1, Math.max(0, Math.floor((v - cv + hv) / cell)));
    maps.slopeU[i] += tu[b * nu + a] + 0.5 * spread * Math.sin(u * ripple);
    maps.slopeV[i] += tv[b * nu + a] + 0.5 * spread * Math.sin(v * ripple);
  });
}
