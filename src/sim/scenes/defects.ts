import type { SeededRandom } from '../random.ts';
import { roundedRectDistance } from './artwork.ts';
import { forEachInBox, type SurfaceMaps } from './surface-maps.ts';

export type DefectKind = 'scratch' | 'dent' | 'crease' | 'corner-wear' | 'edge-chip' | 'print-line' | 'stain';

/** Ground truth of one defect, in the card frame (mm; v up from the card centre). */
export interface DefectTruth {
  id: number;
  kind: DefectKind;
  side: 'front' | 'back';
  centerMm: [number, number];
  /** Extent along the defect, mm. */
  lengthMm: number;
  /** Extent across the defect, mm. */
  widthMm: number;
  /** Deepest point below the undamaged surface, µm (0 for print/albedo defects). */
  depthUm: number;
  /** Highest point above the undamaged surface, µm. */
  heightUm: number;
  /** Albedo change at the centre (positive = whitening). */
  albedoDelta: number;
  /** Material removed from the outline (corner wear, chips), mm². */
  removedAreaMm2: number;
  /** Affected map area, mm² (filled in when the defect is stamped). */
  areaMm2: number;
  detail: Record<string, number | string>;
  /** Mask file written by the exporter (relative to the capture folder). */
  maskFile?: string;
}

interface CardShape {
  halfW: number;
  halfH: number;
  radius: number;
}

function newTruth(id: number, kind: DefectKind, side: 'front' | 'back', centerMm: [number, number]): DefectTruth {
  return { id, kind, side, centerMm, lengthMm: 0, widthMm: 0, depthUm: 0, heightUm: 0, albedoDelta: 0, removedAreaMm2: 0, areaMm2: 0, detail: {} };
}

function mark(maps: SurfaceMaps, i: number, id: number, t: DefectTruth): void {
  if (maps.label[i] !== id) {
    maps.label[i] = id;
    t.areaMm2 += maps.pitchMm * maps.pitchMm;
  }
}

/** A straight groove with a raised-cosine profile; roughened (the gloss is broken) and slightly whitened. */
export function stampScratch(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const lengthMm = rng.range(3, 25);
  const widthMm = rng.range(0.08, 0.3);
  const depthUm = rng.range(3, 25);
  const angle = rng.range(0, Math.PI);
  const cu = rng.range(-shape.halfW + 6 + lengthMm / 2 * Math.abs(Math.cos(angle)), shape.halfW - 6 - lengthMm / 2 * Math.abs(Math.cos(angle)));
  const cv = rng.range(-shape.halfH + 6 + lengthMm / 2 * Math.abs(Math.sin(angle)), shape.halfH - 6 - lengthMm / 2 * Math.abs(Math.sin(angle)));
  const t = newTruth(id, 'scratch', side, [cu, cv]);
  Object.assign(t, { lengthMm, widthMm, depthUm, albedoDelta: 0.05 });
  t.detail = { angleDeg: (angle * 180) / Math.PI };
  const du = Math.cos(angle);
  const dv = Math.sin(angle);
  const ext = lengthMm / 2 + widthMm;
  forEachInBox(maps, cu - ext, cv - ext, cu + ext, cv + ext, (i, u, v) => {
    const along = (u - cu) * du + (v - cv) * dv;
    const across = -(u - cu) * dv + (v - cv) * du;
    if (Math.abs(along) > lengthMm / 2 || Math.abs(across) > widthMm / 2 || maps.cover[i] === 0) return;
    const profile = 0.5 + 0.5 * Math.cos((2 * Math.PI * across) / widthMm);
    maps.height[i] -= (depthUm / 1000) * profile;
    maps.roughness[i] = Math.max(maps.roughness[i], 0.3);
    maps.albedo[i] = Math.min(0.95, maps.albedo[i] + 0.05 * profile);
    mark(maps, i, id, t);
  });
  return t;
}

/** A round, smooth depression (cos² profile). */
export function stampDent(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const radiusMm = rng.range(0.8, 3);
  const depthUm = rng.range(15, 80);
  const cu = rng.range(-shape.halfW + 6, shape.halfW - 6);
  const cv = rng.range(-shape.halfH + 6, shape.halfH - 6);
  const t = newTruth(id, 'dent', side, [cu, cv]);
  Object.assign(t, { lengthMm: 2 * radiusMm, widthMm: 2 * radiusMm, depthUm });
  t.detail = { radiusMm };
  forEachInBox(maps, cu - radiusMm, cv - radiusMm, cu + radiusMm, cv + radiusMm, (i, u, v) => {
    const r = Math.hypot(u - cu, v - cv) / radiusMm;
    if (r >= 1 || maps.cover[i] === 0) return;
    const c = Math.cos((Math.PI / 2) * r);
    maps.height[i] -= (depthUm / 1000) * c * c;
    mark(maps, i, id, t);
  });
  return t;
}

/** A fold line across the card: a V-shaped valley with broken (whitened) fibres along its crest. */
export function stampCrease(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const horizontal = rng.next() < 0.5;
  const offset = rng.range(-0.5, 0.5) * (horizontal ? shape.halfH : shape.halfW);
  const tiltDeg = rng.range(-20, 20);
  const widthMm = rng.range(0.6, 1.5);
  const depthUm = rng.range(20, 80);
  const partial = rng.range(0.4, 1);
  const span = (horizontal ? shape.halfW : shape.halfH) * 2 * partial;
  const k = Math.tan((tiltDeg * Math.PI) / 180);
  const start = (horizontal ? -shape.halfW : -shape.halfH);
  // The centre is the middle of the drawn fold: a partial crease starts at one edge, and a tilted one
  // leaves its offset line (b = offset + k·a) as it goes.
  const midA = start + span / 2;
  const t = newTruth(id, 'crease', side, horizontal ? [midA, offset + k * midA] : [offset + k * midA, midA]);
  Object.assign(t, { lengthMm: span, widthMm, depthUm, albedoDelta: 0.12 });
  t.detail = { orientation: horizontal ? 'horizontal' : 'vertical', tiltDeg, offsetMm: offset };
  forEachInBox(maps, -shape.halfW, -shape.halfH, shape.halfW, shape.halfH, (i, u, v) => {
    if (maps.cover[i] === 0) return;
    const a = horizontal ? u : v;
    const b = horizontal ? v : u;
    if (a - start > span) return;
    const d = Math.abs(b - offset - k * a);
    if (d > widthMm / 2) return;
    const p = 1 - (2 * d) / widthMm;
    maps.height[i] -= (depthUm / 1000) * p;
    if (p > 0.8) maps.albedo[i] = Math.min(0.95, maps.albedo[i] + 0.12);
    mark(maps, i, id, t);
  });
  return t;
}

const cornerNames = ['top-left', 'top-right', 'bottom-right', 'bottom-left'] as const;

/** Corner wear: a larger rounding radius, a frayed (jagged) outline and a whitened rim. */
export function stampCornerWear(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back', corner: number): DefectTruth {
  const su = corner === 1 || corner === 2 ? 1 : -1;
  const sv = corner === 0 || corner === 1 ? 1 : -1;
  const extraRadiusMm = rng.range(0.2, 1.2);
  const frayMm = rng.range(0, 0.15);
  const whiteningMm = rng.range(0.1, 0.5);
  const r = shape.radius + extraRadiusMm;
  const cu = su * (shape.halfW - r);
  const cv = sv * (shape.halfH - r);
  const t = newTruth(id, 'corner-wear', side, [su * shape.halfW, sv * shape.halfH]);
  Object.assign(t, { lengthMm: r, widthMm: r, albedoDelta: 0.25 });
  t.detail = { corner: cornerNames[corner], roundingRadiusMm: r, extraRadiusMm, frayAmplitudeMm: frayMm, whiteningWidthMm: whiteningMm };
  const phase = rng.range(0, 6.3);
  forEachInBox(maps, Math.min(su * shape.halfW, cu), Math.min(sv * shape.halfH, cv), Math.max(su * shape.halfW, cu), Math.max(sv * shape.halfH, cv), (i, u, v) => {
    if ((u - cu) * su < 0 || (v - cv) * sv < 0) return;
    const ang = Math.atan2(v - cv, u - cu);
    const fray = frayMm * (0.5 + 0.5 * Math.sin(ang * 37 + phase) * Math.sin(ang * 91 + 2 * phase));
    const d = Math.hypot(u - cu, v - cv) - (r - fray);
    if (d > 0) {
      if (maps.cover[i] === 1) {
        maps.cover[i] = 0;
        t.removedAreaMm2 += maps.pitchMm * maps.pitchMm;
        mark(maps, i, id, t);
      }
    } else if (d > -whiteningMm && maps.cover[i] === 1) {
      maps.albedo[i] = Math.min(0.95, maps.albedo[i] + 0.25);
      mark(maps, i, id, t);
    }
  });
  return t;
}

const edgeNames = ['top', 'right', 'bottom', 'left'] as const;

/** Edge chipping: a few small bites out of one edge, with whitening along the damaged stretch. */
export function stampEdgeChip(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const edge = rng.int(0, 3);
  const vertical = edge === 1 || edge === 3;
  const half = vertical ? shape.halfH : shape.halfW;
  const along = rng.range(-half + shape.radius + 4, half - shape.radius - 4);
  const stretch = rng.range(2, 8);
  const bites = Array.from({ length: rng.int(1, 4) }, () => ({ at: along + rng.range(-stretch / 2, stretch / 2), r: rng.range(0.1, 0.4) }));
  const whiteningMm = rng.range(0.1, 0.3);
  const outer = edge === 0 ? shape.halfH : edge === 1 ? shape.halfW : edge === 2 ? -shape.halfH : -shape.halfW;
  const centre: [number, number] = vertical ? [outer, along] : [along, outer];
  const t = newTruth(id, 'edge-chip', side, centre);
  Object.assign(t, { lengthMm: stretch, widthMm: Math.max(...bites.map((b) => b.r)) + whiteningMm, albedoDelta: 0.2 });
  t.detail = { edge: edgeNames[edge], bites: bites.length, whiteningWidthMm: whiteningMm, maxBiteDepthMm: Math.max(...bites.map((b) => b.r)) };
  const box = stretch / 2 + 0.5;
  const inward = vertical ? -Math.sign(outer) : -Math.sign(outer);
  const [u0, u1] = vertical ? [outer - 1 * Math.sign(outer), outer] : [along - box, along + box];
  const [v0, v1] = vertical ? [along - box, along + box] : [outer - 1 * Math.sign(outer), outer];
  forEachInBox(maps, Math.min(u0, u1), Math.min(v0, v1), Math.max(u0, u1), Math.max(v0, v1), (i, u, v) => {
    if (maps.cover[i] === 0) return;
    const a = vertical ? v : u;
    const depthIn = (vertical ? u - outer : v - outer) * inward; // distance from the edge into the card
    let removed = false;
    for (const b of bites) if (Math.hypot(a - b.at, depthIn) < b.r) removed = true;
    if (removed) {
      maps.cover[i] = 0;
      t.removedAreaMm2 += maps.pitchMm * maps.pitchMm;
      mark(maps, i, id, t);
    } else if (Math.abs(a - along) < stretch / 2 && depthIn < whiteningMm) {
      maps.albedo[i] = Math.min(0.95, maps.albedo[i] + 0.2);
      mark(maps, i, id, t);
    }
  });
  return t;
}

/** Print (roller) lines: thin straight stripes of changed albedo along one axis. Albedo only. */
export function stampPrintLine(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const vertical = rng.next() < 0.5;
  const pos = rng.range(-0.7, 0.7) * (vertical ? shape.halfW : shape.halfH);
  const widthMm = rng.range(0.05, 0.2);
  const delta = rng.sign() * rng.range(0.04, 0.1);
  const t = newTruth(id, 'print-line', side, vertical ? [pos, 0] : [0, pos]);
  Object.assign(t, { lengthMm: 2 * (vertical ? shape.halfH : shape.halfW), widthMm, albedoDelta: delta });
  t.detail = { orientation: vertical ? 'vertical' : 'horizontal' };
  // Drawn by area: each sample changes by delta times the share of its footprint (one pitch wide across the
  // line) that the line covers, as a camera pixel integrates it. Sampled at points, a line narrower than the
  // pitch fell between the samples of some cards and was not drawn at all, though the truth named it.
  const p = maps.pitchMm, lo = pos - widthMm / 2, hi = pos + widthMm / 2;
  const [u0, u1, v0, v1] = vertical ? [lo - p / 2, hi + p / 2, -shape.halfH, shape.halfH] : [-shape.halfW, shape.halfW, lo - p / 2, hi + p / 2];
  let coveredMm2 = 0;
  forEachInBox(maps, u0, v0, u1, v1, (i, u, v) => {
    const c = vertical ? u : v;
    const coverage = (Math.min(c + p / 2, hi) - Math.max(c - p / 2, lo)) / p;
    if (coverage <= 0 || maps.cover[i] === 0) return;
    maps.albedo[i] = Math.min(0.95, Math.max(0.02, maps.albedo[i] + delta * Math.min(1, coverage)));
    mark(maps, i, id, t);
    coveredMm2 += Math.min(1, coverage) * p * p;
  });
  // The line's own area, not the samples it touches.
  t.areaMm2 = coveredMm2;
  return t;
}

/** A stain: an irregular darker blob. Albedo only, no relief. */
export function stampStain(maps: SurfaceMaps, rng: SeededRandom, shape: CardShape, id: number, side: 'front' | 'back'): DefectTruth {
  const radiusMm = rng.range(1, 5);
  const strength = rng.range(0.15, 0.4);
  const cu = rng.range(-shape.halfW + 5, shape.halfW - 5);
  const cv = rng.range(-shape.halfH + 5, shape.halfH - 5);
  const t = newTruth(id, 'stain', side, [cu, cv]);
  Object.assign(t, { lengthMm: 2 * radiusMm, widthMm: 2 * radiusMm, albedoDelta: -strength });
  t.detail = { radiusMm, darkening: strength };
  const lobes = Array.from({ length: 3 }, () => ({ k: rng.int(2, 5), a: rng.range(0.05, 0.2), p: rng.range(0, 6.3) }));
  const ext = radiusMm * 1.5;
  forEachInBox(maps, cu - ext, cv - ext, cu + ext, cv + ext, (i, u, v) => {
    if (maps.cover[i] === 0) return;
    const ang = Math.atan2(v - cv, u - cu);
    let rr = radiusMm;
    for (const l of lobes) rr *= 1 + l.a * Math.sin(l.k * ang + l.p);
    const d = Math.hypot(u - cu, v - cv) / rr;
    if (d >= 1) return;
    maps.albedo[i] *= 1 - strength * (1 - d * d);
    mark(maps, i, id, t);
  });
  return t;
}

/** Whether (u, v) lies inside the card's undamaged rounded outline. */
export function insideCardOutline(u: number, v: number, shape: CardShape): boolean {
  return roundedRectDistance(u, v, shape.halfW, shape.halfH, shape.radius) <= 0;
}

export type { CardShape };
