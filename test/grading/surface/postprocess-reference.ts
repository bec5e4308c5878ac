// The post-processing as it was before it was made faster (src/grading/surface/postprocess.ts at 9b5403e),
// kept verbatim as the definition its replacement must reproduce bit for bit
// (test/grading/surface/postprocess-equivalence.test.ts): per-pixel closures, a JS array stack, a column-order
// erosion, a full-resolution `inside` callback per defect.
import { createError } from '../../../src/core/errors.ts';
import type { CardSideMaps, SurfaceDefect } from '../../../src/grading/types.ts';
import { defectTypeOfClass } from '../../../src/grading/surface/classes.ts';
import { cornerOf, type DefectCandidate, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';

/** Kinds that live in the albedo only: no depth is reported for them (SurfaceDefect.depthUm). */
const albedoOnly = new Set(['stain', 'print-line', 'print-spot']);

/** Pixels of `mask` at least `r` px (square distance) inside its outline. */
function erodeSquare(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask;
  // Separable: a run of 2r+1 ones along x, then along y.
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let run = 0;
    for (let x = 0; x < w; x++) {
      run = mask[y * w + x] ? run + 1 : 0;
      if (run >= 2 * r + 1) tmp[y * w + x - r] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let run = 0;
    for (let y = 0; y < h; y++) {
      run = tmp[y * w + x] ? run + 1 : 0;
      if (run >= 2 * r + 1) out[(y - r) * w + x] = 1;
    }
  }
  return out;
}

/** Dilate by a (2r+1)² square. */
function dilateSquare(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return m;
  const inv = new Uint8Array(w * h);
  for (let i = 0; i < inv.length; i++) inv[i] = m[i] ? 0 : 1;
  // Dilation of m = complement of the erosion of its complement (borders count as background).
  const padded = erodeSquare(inv, w, h, r);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const nearBorder = x < r || y < r || x >= w - r || y >= h - r;
      out[i] = nearBorder ? (m[i] ? 1 : nearAny(m, w, h, x, y, r)) : padded[i] ? 0 : 1;
    }
  }
  return out;
}

function nearAny(m: Uint8Array, w: number, h: number, x: number, y: number, r: number): number {
  for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) if (m[yy * w + xx]) return 1;
  return 0;
}

/** 8-connected components of `m`: labels 1..n (0 = none). */
function components(m: Uint8Array, w: number, h: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(w * h);
  const stack: number[] = [];
  let count = 0;
  for (let s = 0; s < m.length; s++) {
    if (!m[s] || labels[s]) continue;
    labels[s] = ++count;
    stack.push(s);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % w, y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (m[j] && !labels[j]) { labels[j] = count; stack.push(j); }
        }
      }
    }
  }
  return { labels, count };
}

/** The card's pixel box on a map (maps may extend past the card: the mask says where it is). */
function cardBoxPx(mask: Uint8Array, w: number, h: number): [number, number, number, number] {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (mask[y * w + x]) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
  return x1 < 0 ? [0, 0, w, h] : [x0, y0, x1 + 1, y1 + 1];
}

/** Median of a list (0 when empty). */
function median(v: number[]): number {
  if (v.length === 0) return 0;
  v.sort((a, b) => a - b);
  return v[v.length >> 1];
}

/**
 * Depth of a defect below its surroundings, µm, on the side's own relief: the median relief of a band
 * around the defect's box (from `gapPx` to `gapPx + bandPx` outside it, on the card) minus the lowest
 * relief inside the defect's pixels. Measured against the local surroundings, not the card's zero, so a
 * residual bow or a slope nearby does not add to it.
 */
function defectDepthUm(maps: CardSideMaps, inside: (x: number, y: number) => boolean, box: [number, number, number, number], gapPx: number, bandPx: number): number {
  const { widthPx: w, heightPx: h, reliefUm, mask } = maps;
  let lowest = Infinity;
  for (let y = box[1]; y < box[3]; y++) for (let x = box[0]; x < box[2]; x++) if (mask[y * w + x] && inside(x, y)) lowest = Math.min(lowest, reliefUm[y * w + x]);
  if (!Number.isFinite(lowest)) return 0;
  const ring: number[] = [];
  const ox0 = Math.max(0, box[0] - gapPx - bandPx), ox1 = Math.min(w, box[2] + gapPx + bandPx);
  const oy0 = Math.max(0, box[1] - gapPx - bandPx), oy1 = Math.min(h, box[3] + gapPx + bandPx);
  // Sparse sampling keeps long defects cheap: the band of a 80 mm crease has ~10⁵ px.
  const step = Math.max(1, Math.floor(Math.sqrt(((ox1 - ox0) * (oy1 - oy0)) / 20000)));
  for (let y = oy0; y < oy1; y += step) {
    for (let x = ox0; x < ox1; x += step) {
      const dx = Math.max(box[0] - 1 - x, x - box[2], 0), dy = Math.max(box[1] - 1 - y, y - box[3], 0);
      const d = Math.max(dx, dy);
      if (d < gapPx || !mask[y * w + x]) continue;
      ring.push(reliefUm[y * w + x]);
    }
  }
  return Math.max(0, median(ring) - lowest);
}

/** probabilitiesToDefects without its last gates (passesGates): every measured component with its misfit. */
export function referenceDefectCandidates(p: ProbabilityMap, maps: CardSideMaps, modelMask: Uint8Array, pp: SurfacePostprocess, misfit?: Float32Array): Omit<DefectCandidate, 'axisPx'>[] {
  const { width: w, height: h, classes: C, data } = p;
  const n = w * h;
  const s = p.umPerPx / 1000;
  if (pp.maxReliefMisfit !== undefined && misfit?.length !== n) {
    throw createError('GB_INTERNAL', `surface postprocess: the manifest gates relief defects on the misfit, but ${misfit?.length ?? 0} misfit values came for a ${w}×${h} map`);
  }
  const inner = erodeSquare(modelMask, w, h, Math.round(pp.edgeMarginMm / s));
  const fg = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (inner[i] && 1 - data[i] >= pp.threshold) fg[i] = 1;
  const bridged = dilateSquare(fg, w, h, Math.max(0, Math.round(pp.bridgeMm / s / 2)));
  const { labels, count } = components(bridged, w, h);
  // Per component: pixel count, probability sums per class, moments for the principal axis, box.
  const cnt = new Float64Array(count + 1);
  const misfitSum = new Float64Array(count + 1);
  const psum = new Float64Array((count + 1) * C);
  const sx = new Float64Array(count + 1), sy = new Float64Array(count + 1);
  const sxx = new Float64Array(count + 1), syy = new Float64Array(count + 1), sxy = new Float64Array(count + 1);
  const bx0 = new Int32Array(count + 1).fill(w), by0 = new Int32Array(count + 1).fill(h), bx1 = new Int32Array(count + 1), by1 = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) {
    if (!fg[i]) continue;
    const k = labels[i];
    const x = i % w, y = (i - x) / w;
    cnt[k]++;
    if (misfit) misfitSum[k] += misfit[i];
    for (let c = 0; c < C; c++) psum[k * C + c] += data[c * n + i];
    sx[k] += x; sy[k] += y; sxx[k] += x * x; syy[k] += y * y; sxy[k] += x * y;
    if (x < bx0[k]) bx0[k] = x; if (y < by0[k]) by0[k] = y;
    if (x + 1 > bx1[k]) bx1[k] = x + 1; if (y + 1 > by1[k]) by1[k] = y + 1;
  }
  // Card frame from the side's own mask (the map may extend past the card).
  const card = cardBoxPx(maps.mask, maps.widthPx, maps.heightPx);
  const sm = maps.umPerPx / 1000;
  const cardCx = (card[0] + card[2]) / 2, cardCy = (card[1] + card[3]) / 2;
  const halfWmm = ((card[2] - card[0]) * sm) / 2, halfHmm = ((card[3] - card[1]) * sm) / 2;
  const f = p.umPerPx / maps.umPerPx; // side px per model px
  const out: Omit<DefectCandidate, 'axisPx'>[] = [];
  for (let k = 1; k <= count; k++) {
    const m = cnt[k];
    if (m === 0 || m * s * s < pp.minAreaMm2) continue;
    const confidence = 1 - psum[k * C] / m;
    if (confidence < pp.minConfidence) continue;
    let best = 1;
    for (let c = 2; c < C; c++) if (psum[k * C + c] > psum[k * C + best]) best = c;
    const type = defectTypeOfClass(best);
    if (!type) continue;
    const mx = sx[k] / m, my = sy[k] / m;
    const cxx = sxx[k] / m - mx * mx, cyy = syy[k] / m - my * my, cxy = sxy[k] / m - mx * my;
    const theta = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
    const ux = Math.cos(theta), uy = Math.sin(theta);
    let a0 = Infinity, a1 = -Infinity, b0 = Infinity, b1 = -Infinity;
    for (let y = by0[k]; y < by1[k]; y++) {
      for (let x = bx0[k]; x < bx1[k]; x++) {
        const i = y * w + x;
        if (!fg[i] || labels[i] !== k) continue;
        const a = (x - mx) * ux + (y - my) * uy, b = -(x - mx) * uy + (y - my) * ux;
        if (a < a0) a0 = a; if (a > a1) a1 = a; if (b < b0) b0 = b; if (b > b1) b1 = b;
      }
    }
    const lengthMm = (a1 - a0 + 1) * s, widthMm = (b1 - b0 + 1) * s;
    // Centre: middle of the oriented extent (a scratch's midpoint even where one end is fainter).
    const cxPx = mx + ux * (a0 + a1) / 2 - uy * (b0 + b1) / 2;
    const cyPx = my + uy * (a0 + a1) / 2 + ux * (b0 + b1) / 2;
    const centerMm: [number, number] = [((cxPx + 0.5) * f - cardCx) * sm, (cardCy - (cyPx + 0.5) * f) * sm];
    const boxPx: [number, number, number, number] = [
      Math.max(0, Math.floor(bx0[k] * f)), Math.max(0, Math.floor(by0[k] * f)),
      Math.min(maps.widthPx, Math.ceil(bx1[k] * f)), Math.min(maps.heightPx, Math.ceil(by1[k] * f)),
    ];
    let depthUm = 0;
    if (!albedoOnly.has(type)) {
      const inside = (x: number, y: number): boolean => {
        const j = Math.min(h - 1, Math.floor((y + 0.5) / f)) * w + Math.min(w - 1, Math.floor((x + 0.5) / f));
        return fg[j] === 1 && labels[j] === k;
      };
      const gapPx = Math.round(Math.max(0.3, 0.4 * widthMm) / sm);
      depthUm = defectDepthUm(maps, inside, boxPx, gapPx, Math.round(1 / sm));
    }
    const defect: SurfaceDefect = {
      type, side: maps.side, centerMm, lengthMm, widthMm, depthUm, areaMm2: m * s * s, confidence, boxPx,
    };
    const corner = cornerOf(centerMm, halfWmm, halfHmm, pp.cornerZoneMm);
    if (corner) defect.corner = corner;
    out.push({ defect, meanMisfit: misfitSum[k] / m });
  }
  out.sort((a, b) => b.defect.confidence - a.defect.confidence);
  return out;
}
