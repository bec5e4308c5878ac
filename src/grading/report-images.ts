import sharp from 'sharp';
import { createError } from '../core/errors.ts';
import { selectKth, toMapPx, type CardFrame } from './card-frame.ts';
import type { ReportDefect, SideGrade } from './grade.ts';
import { loadVisionNative } from '../vision/native.ts';
import { resampledSizePx, resampleSideMapsAsync } from './surface/resample.ts';
import type { CardSideMaps } from './types.ts';

// The report's pictures of one side, 8-bit sRGB for people (not measurement data): the albedo with every
// defect outlined and labelled, the relief shaded by a low light from the top left, the normal map, and a
// crop of each defect.
//
// Resolution: the three whole-side pictures are drawn from the maps area-averaged by a whole factor to at
// most `overviewUmPerPx` (80 µm/px: a 12 MP side at 25 µm/px becomes 887 × 1225 px, 1.1 MP). That is
// ≥ 318 dpi at the card's size, sharper than the booth's 800-px-high screen or a phone shows a whole card,
// and still sharp at 2× zoom there; what a collector looks at closely is the defects, and their crops are
// cut from the maps at full resolution. Drawing and encoding 12 MP pictures cost seconds per side (three
// PNGs of 30 MB raw each, an SVG rendered at 12 MP) and made report pages of 12 MB.

/** Whole-side pictures are at most this coarse (µm per px); see above for why. */
export const overviewUmPerPx = 80;

/** The pictures of one side, PNG bytes. */
export interface SideImages {
  albedoOverlay: Buffer;
  shadedRelief: Buffer;
  normalMap: Buffer;
  /** One crop per defect of the side (same order as SideGrade.defects), at the maps' full resolution. */
  crops: Buffer[];
  /** Scale of albedoOverlay, shadedRelief and normalMap, µm per px. */
  overviewUmPerPx: number;
}

/** An SVG drawn over a picture with its top-left corner at (left, top) px (whole pixels). */
export interface PictureOverlay {
  svg: string;
  left: number;
  top: number;
}

/** One raw 8-bit picture (channels interleaved), with optional SVGs drawn over it when encoded. */
export interface RawPicture {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  /** In order, each over what is below it. */
  overlays?: PictureOverlay[];
  /** Enlarge (nearest neighbour) to at least this width when encoding (small crops). */
  minWidth?: number;
}

/** A side's pictures before PNG encoding (the pixel work; encoding is {@link encodeSidePictures}). */
export interface SidePictures {
  albedoOverlay: RawPicture;
  shadedRelief: RawPicture;
  normalMap: RawPicture;
  crops: RawPicture[];
  overviewUmPerPx: number;
}

/** The 99.5th percentile of the card's albedo (from ~100 k samples, by selection, not a sort): the grey scale's white. */
function albedoWhite(maps: CardSideMaps): number {
  const { albedo, mask } = maps;
  const step = Math.max(1, Math.floor(albedo.length / 100_000));
  const vals = new Float64Array(Math.ceil(albedo.length / step));
  let n = 0;
  for (let i = 0; i < albedo.length; i += step) if (mask[i] && albedo[i] === albedo[i]) vals[n++] = albedo[i]; // NaN has no rank
  if (n === 0) return 1;
  return selectKth(vals.subarray(0, n), Math.floor(0.995 * (n - 1))) || 1;
}

/** Box of a defect in map px: the detector's box, else its size around its centre (at least 1.5 mm). */
export function defectBoxPx(f: CardFrame, d: ReportDefect): [number, number, number, number] {
  if (d.boxPx) return d.boxPx;
  const [cx, cy] = toMapPx(f, d.centerMm[0], d.centerMm[1]);
  const half = (Math.max(1.5, d.lengthMm, d.widthMm) / 2) * f.pxPerMm;
  return [Math.floor(cx - half), Math.floor(cy - half), Math.ceil(cx + half), Math.ceil(cy + half)];
}

const colours: Record<ReportDefect['category'], string> = { corner: '#ff8c00', edge: '#ffd400', surface: '#ff2d55' };

function rgbOf(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The per-pixel loops write through Uint8ClampedArray views: the store clamps to 0..255 and rounds (half
// to even; Math.round rounds halves up, a grey level apart at most on exact halves), so no Math.round or
// clamp per pixel. Each loop is its own small function so V8 optimises it on its own.

/** Grey albedo (scaled so `white` is 255) as RGB. */
function albedoRgb(maps: CardSideMaps, white: number): Uint8Array {
  const { albedo } = maps;
  const n = albedo.length, k = 255 / white;
  const rgb = new Uint8Array(3 * n);
  const c = new Uint8ClampedArray(rgb.buffer);
  for (let i = 0; i < n; i++) {
    const v = albedo[i] * k;
    c[3 * i] = v; c[3 * i + 1] = v; c[3 * i + 2] = v;
  }
  return rgb;
}

/** The shaded relief's light: from the top left at 35° elevation (x right, y up, z out of the card). */
const shadeElevation = (35 * Math.PI) / 180;
const shadeLight: [number, number, number] = [-Math.cos(shadeElevation) / Math.SQRT2, Math.cos(shadeElevation) / Math.SQRT2, Math.sin(shadeElevation)];
/** The shaded relief's slope exaggeration. */
const shadeSlopeGain = 8;

/** Relief shaded by a low light from the top left (35° elevation), slopes exaggerated ×8; 40 off the card. */
function shadedRelief(maps: CardSideMaps): Uint8Array {
  const n = maps.widthPx * maps.heightPx;
  const shade = new Uint8Array(n);
  const c = new Uint8ClampedArray(shade.buffer);
  const [L0, L1, L2] = shadeLight;
  const k8 = shadeSlopeGain;
  const N = maps.normals, M = maps.mask;
  for (let i = 0; i < n; i++) {
    if (!M[i]) { c[i] = 40; continue; }
    const nx = N[3 * i] * k8, ny = N[3 * i + 1] * k8, nz = N[3 * i + 2];
    const len = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
    c[i] = (255 * (nx * L0 + ny * L1 + nz * L2)) / len;
  }
  return shade;
}

/** Normals as colours: (n + 1) / 2 of full scale per channel. */
function normalColours(maps: CardSideMaps): Uint8Array {
  const N = maps.normals;
  const rgb = new Uint8Array(N.length);
  const c = new Uint8ClampedArray(rgb.buffer);
  for (let i = 0; i < N.length; i++) c[i] = (N[i] + 1) * 127.5;
  return rgb;
}

/** The three whole-side pictures' pixels at a scale `factor` times coarser than the maps. */
interface OverviewPixels { width: number; height: number; albedoRgb: Uint8Array; shade: Uint8Array; normalRgb: Uint8Array }

/**
 * The whole-side pictures' pixels: the maps area-averaged by `factor`, then grey albedo, shaded relief and
 * normal colours. Natively (native/vision/resample.c, resamplePictures: one band per core on libuv's pool)
 * in one pass from the maps to the bytes, the same bytes as the TypeScript path (resampling, then the
 * loops above; test/grading/report.test.ts compares them); without the addon, or at factor 1 (maps
 * already coarse enough: no resampling), the TypeScript path. `backend` forces one.
 */
export async function overviewPixels(maps: CardSideMaps, factor: number, white: number, backend: 'auto' | 'native' | 'ts' = 'auto'): Promise<OverviewPixels> {
  const umPerPx = factor * maps.umPerPx;
  const native = backend === 'ts' || factor === 1 ? undefined : await loadVisionNative();
  if (backend === 'native' && !native?.resamplePictures) throw createError('GB_VISION_FAILED', factor === 1 ? 'native report pictures: nothing to resample at factor 1' : 'native report pictures are not built (run `node native/vision/build.mjs`)');
  if (native?.resamplePictures) {
    const { widthPx: w, heightPx: h } = resampledSizePx(maps, umPerPx);
    const out = { width: w, height: h, albedoRgb: new Uint8Array(3 * w * h), shade: new Uint8Array(w * h), normalRgb: new Uint8Array(3 * w * h) };
    const bands = Math.max(1, Math.min(native.threads, h));
    const step = Math.ceil(h / bands);
    const jobs: Promise<void>[] = [];
    for (let y0 = 0; y0 < h; y0 += step) {
      jobs.push(native.resamplePictures({ src: maps, width: w, height: h, y0, y1: Math.min(h, y0 + step), albedoScale: 255 / white, slopeGain: shadeSlopeGain, light: shadeLight, albedoRgb: out.albedoRgb, shade: out.shade, normalRgb: out.normalRgb }));
    }
    await Promise.all(jobs);
    return out;
  }
  // The pictures need no PS confidence: leave it out of the average.
  const small = await resampleSideMapsAsync({ ...maps, confidence: undefined }, umPerPx);
  return { width: small.widthPx, height: small.heightPx, albedoRgb: albedoRgb(small, white), shade: shadedRelief(small), normalRgb: normalColours(small) };
}

/** The whole side's pictures and each defect's crop, as raw pixels (the overview off the event loop, ~1 MP; the crops on it). */
export async function drawSidePictures(maps: CardSideMaps, f: CardFrame, g: SideGrade, options: { backend?: 'auto' | 'native' | 'ts' } = {}): Promise<SidePictures> {
  const white = albedoWhite(maps);
  const factor = Math.max(1, Math.floor(overviewUmPerPx / maps.umPerPx + 1e-9));
  const pixels = await overviewPixels(maps, factor, white, options.backend);
  const w = pixels.width, h = pixels.height;
  // Map px → overview px (the resampling's footprints: source width / overview width).
  const sx = w / maps.widthPx, sy = h / maps.heightPx;
  const stroke = Math.max(2, Math.round(w / 400));
  // Each defect labelled by its number only (the report's table, the deductions and the touchscreen name it by
  // that number), large enough to read where the picture is shown a third of its size: a badge on a dark
  // backing that is not grey, so it reads on the white card and is never taken for print.
  const font = Math.max(12, Math.ceil(w / 24));
  // One small SVG per defect over its own box and badge, not one SVG the size of the picture: rendering
  // and compositing a whole-picture SVG cost ~3× the PNG encoding of the picture itself. Each is placed at
  // whole pixels and its shapes moved by the same whole pixels, so they are rasterised as before.
  const overlays: PictureOverlay[] = [];
  g.defects.forEach((d, k) => {
    const [x0, y0, x1, y1] = defectBoxPx(f, d);
    const c = colours[d.category];
    const X0 = x0 * sx, Y0 = y0 * sy, X1 = x1 * sx, Y1 = y1 * sy;
    const label = String(k + 1);
    const bw = Math.round(font * (0.62 * label.length + 0.5)), bh = Math.round(font * 1.25);
    const bx = Math.min(Math.max(0, X0), w - bw), by = Math.min(Math.max(0, Y0 - bh - stroke), h - bh);
    const shapes = `<rect x="${X0.toFixed(1)}" y="${Y0.toFixed(1)}" width="${(X1 - X0).toFixed(1)}" height="${(Y1 - Y0).toFixed(1)}" fill="none" stroke="${c}" stroke-width="${stroke}"/>` +
      `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${bw}" height="${bh}" rx="${Math.round(font / 5)}" fill="#101a2c" stroke="${c}" stroke-width="${Math.max(1, Math.round(stroke / 2))}"/>` +
      `<text x="${(bx + bw / 2).toFixed(1)}" y="${(by + font * 0.98).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-weight="bold" font-size="${font}" fill="${c}">${escapeXml(label)}</text>`;
    // What the shapes can touch (strokes are centred on the outlines; a bold digit may overhang its badge a
    // little), within the picture.
    const m = stroke + Math.ceil(font / 4);
    const left = Math.max(0, Math.floor(Math.min(X0, bx) - m)), top = Math.max(0, Math.floor(Math.min(Y0, by) - m));
    const right = Math.min(w, Math.ceil(Math.max(X1, bx + bw) + m)), bottom = Math.min(h, Math.ceil(Math.max(Y1, by + bh) + m));
    if (right <= left || bottom <= top) return;
    overlays.push({ left, top, svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${right - left}" height="${bottom - top}"><g transform="translate(${-left} ${-top})">${shapes}</g></svg>` });
  });
  const albedoOverlay: RawPicture = { width: w, height: h, channels: 3, data: pixels.albedoRgb, overlays: overlays.length ? overlays : undefined };
  return {
    albedoOverlay,
    shadedRelief: { width: w, height: h, channels: 1, data: pixels.shade },
    normalMap: { width: w, height: h, channels: 3, data: pixels.normalRgb },
    crops: g.defects.map((d) => defectCrop(maps, f, d, white)),
    overviewUmPerPx: factor * maps.umPerPx,
  };
}

/** A defect's crop at full resolution: its box and 1 mm around it, the box outlined in its colour. */
function defectCrop(maps: CardSideMaps, f: CardFrame, d: ReportDefect, white: number): RawPicture {
  const W = maps.widthPx, H = maps.heightPx;
  const [x0, y0, x1, y1] = defectBoxPx(f, d);
  const pad = Math.round(1 * f.pxPerMm);
  const left = Math.min(W - 1, Math.max(0, x0 - pad)), top = Math.min(H - 1, Math.max(0, y0 - pad));
  const width = Math.max(1, Math.min(W, x1 + pad) - left), height = Math.max(1, Math.min(H, y1 + pad) - top);
  const data = new Uint8Array(3 * width * height);
  const grey = new Uint8ClampedArray(data.buffer);
  const k = 255 / white;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = maps.albedo[(top + y) * W + left + x] * k;
      const o = 3 * (y * width + x);
      grey[o] = v; grey[o + 1] = v; grey[o + 2] = v;
    }
  }
  // The box's outline, about 50 µm wide, inside the crop.
  const t = Math.max(1, Math.round(0.05 * f.pxPerMm));
  const [r, gg, b] = rgbOf(colours[d.category]);
  const bx0 = x0 - left, by0 = y0 - top, bx1 = x1 - left, by1 = y1 - top;
  for (let y = Math.max(0, by0); y < Math.min(height, by1); y++) {
    for (let x = Math.max(0, bx0); x < Math.min(width, bx1); x++) {
      if (x - bx0 >= t && bx1 - 1 - x >= t && y - by0 >= t && by1 - 1 - y >= t) continue;
      const o = 3 * (y * width + x);
      data[o] = r; data[o + 1] = gg; data[o + 2] = b;
    }
  }
  return { width, height, channels: 3, data, minWidth: 160 };
}

/** Encode one raw picture as PNG (deflate level 1 without filter search: these pictures are rebuilt, not archived for their bytes). */
async function encodePicture(p: RawPicture): Promise<Buffer> {
  let s = sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } });
  if (p.channels === 1) s = s.toColourspace('b-w');
  if (p.overlays) s = s.composite(p.overlays.map((o) => ({ input: Buffer.from(o.svg), top: o.top, left: o.left }))).removeAlpha();
  if (p.minWidth && p.width < p.minWidth) {
    // Resizing and compositing in one pipeline would enlarge after the overlay; crops carry no SVG.
    s = s.resize({ width: p.minWidth, kernel: 'nearest' });
  }
  return s.png({ compressionLevel: 1, adaptiveFiltering: false, palette: false }).toBuffer();
}

/** Encode a side's pictures (sharp's threads, all pictures at once). */
export async function encodeSidePictures(p: SidePictures): Promise<SideImages> {
  const [albedoOverlay, shadedRelief, normalMap, ...crops] = await Promise.all([p.albedoOverlay, p.shadedRelief, p.normalMap, ...p.crops].map(encodePicture));
  return { albedoOverlay, shadedRelief, normalMap, crops, overviewUmPerPx: p.overviewUmPerPx };
}

/** Render the side's pictures. */
export async function renderSideImages(maps: CardSideMaps, f: CardFrame, g: SideGrade): Promise<SideImages> {
  return encodeSidePictures(await drawSidePictures(maps, f, g));
}
