import sharp from 'sharp';
import { encodePng } from '../imaging/png.ts';
import { toMapPx, type CardFrame } from './card-frame.ts';
import type { ReportDefect, SideGrade } from './grade.ts';
import type { CardSideMaps } from './types.ts';

// The report's pictures of one side, 8-bit sRGB for people (not measurement data): the albedo with every
// defect outlined and labelled, the relief shaded by a low light from the top left, the normal map, and a
// crop of each defect.

/** The pictures of one side, PNG bytes. */
export interface SideImages {
  albedoOverlay: Buffer;
  shadedRelief: Buffer;
  normalMap: Buffer;
  /** One crop per defect of the side (same order as SideGrade.defects). */
  crops: Buffer[];
}

/** Albedo as 8-bit grey: 0 at 0, 255 at the 99.5th percentile of the card. */
function albedo8(maps: CardSideMaps): Uint8Array {
  const { albedo, mask } = maps;
  const vals: number[] = [];
  const step = Math.max(1, Math.floor(albedo.length / 100_000));
  for (let i = 0; i < albedo.length; i += step) if (mask[i]) vals.push(albedo[i]);
  vals.sort((a, b) => a - b);
  const top = vals[Math.floor(0.995 * (vals.length - 1))] || 1;
  const out = new Uint8Array(albedo.length);
  for (let i = 0; i < albedo.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((255 * albedo[i]) / top)));
  return out;
}

/** Box of a defect in map px: the detector's box, else its size around its centre (at least 1.5 mm). */
export function defectBoxPx(f: CardFrame, d: ReportDefect): [number, number, number, number] {
  if (d.boxPx) return d.boxPx;
  const [cx, cy] = toMapPx(f, d.centerMm[0], d.centerMm[1]);
  const half = (Math.max(1.5, d.lengthMm, d.widthMm) / 2) * f.pxPerMm;
  return [Math.floor(cx - half), Math.floor(cy - half), Math.ceil(cx + half), Math.ceil(cy + half)];
}

const colours: Record<ReportDefect['category'], string> = { corner: '#ff8c00', edge: '#ffd400', surface: '#ff2d55' };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Render the side's pictures. */
export async function renderSideImages(maps: CardSideMaps, f: CardFrame, g: SideGrade): Promise<SideImages> {
  const w = maps.widthPx, h = maps.heightPx;
  const grey = albedo8(maps);
  const rgb = new Uint8Array(3 * w * h);
  for (let i = 0; i < w * h; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  const base = await encodePng({ width: w, height: h, channels: 3, bitDepth: 8, data: rgb });
  const stroke = Math.max(2, Math.round(w / 400));
  const font = Math.max(10, Math.round(w / 60));
  const shapes = g.defects.map((d, k) => {
    const [x0, y0, x1, y1] = defectBoxPx(f, d);
    const c = colours[d.category];
    return `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="${c}" stroke-width="${stroke}"/>` +
      `<text x="${x0}" y="${Math.max(font, y0 - stroke)}" font-family="sans-serif" font-size="${font}" fill="${c}">${k + 1} ${escapeXml(d.type)}</text>`;
  }).join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes}</svg>`);
  const albedoOverlay = await sharp(base).composite([{ input: svg, top: 0, left: 0 }]).png().toBuffer();
  // Shaded relief: slopes exaggerated ×8, lit from the top left at 35° elevation.
  const shade = new Uint8Array(w * h);
  const el = (35 * Math.PI) / 180;
  const L = [-Math.cos(el) / Math.SQRT2, Math.cos(el) / Math.SQRT2, Math.sin(el)];
  const k = 8;
  for (let i = 0; i < w * h; i++) {
    const nx = maps.normals[3 * i] * k, ny = maps.normals[3 * i + 1] * k, nz = maps.normals[3 * i + 2];
    const len = Math.hypot(nx, ny, nz) || 1;
    const s = (nx * L[0] + ny * L[1] + nz * L[2]) / len;
    shade[i] = maps.mask[i] ? Math.max(0, Math.min(255, Math.round(255 * s))) : 40;
  }
  const shadedRelief = await encodePng({ width: w, height: h, channels: 1, bitDepth: 8, data: shade });
  const nrm = new Uint8Array(3 * w * h);
  for (let i = 0; i < 3 * w * h; i++) nrm[i] = Math.max(0, Math.min(255, Math.round(((maps.normals[i] + 1) / 2) * 255)));
  const normalMap = await encodePng({ width: w, height: h, channels: 3, bitDepth: 8, data: nrm });
  const crops: Buffer[] = [];
  for (const d of g.defects) {
    const [x0, y0, x1, y1] = defectBoxPx(f, d);
    const pad = Math.round(1 * f.pxPerMm);
    const left = Math.max(0, x0 - pad), top = Math.max(0, y0 - pad);
    const width = Math.max(1, Math.min(w, x1 + pad) - left), height = Math.max(1, Math.min(h, y1 + pad) - top);
    crops.push(await sharp(albedoOverlay).extract({ left, top, width, height }).resize({ width: Math.max(width, 160), kernel: 'nearest' }).png().toBuffer());
  }
  return { albedoOverlay, shadedRelief, normalMap, crops };
}
