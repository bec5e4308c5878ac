import { createError } from '../../core/errors.ts';
import { visionNativeSync } from '../../vision/native.ts';
import type { CardSideMaps, CornerName, SurfaceDefect } from '../types.ts';
import { defectTypeOfClass } from './classes.ts';
import { joinLinearFragments } from './fragments.ts';
import { withLineDepths } from './line-depth.ts';
import type { SurfacePostprocess } from './manifest.ts';

/** Class probabilities on the model's grid (channel-major, classes × h × w) at `umPerPx`. */
export interface ProbabilityMap {
  classes: number;
  width: number;
  height: number;
  umPerPx: number;
  data: Float32Array;
}

/** Kinds that live in the albedo only: no depth is reported for them (SurfaceDefect.depthUm). */
const albedoOnly = new Set(['stain', 'print-line', 'print-spot']);

// The mask operations below run in the native addon when it is built (native/vision/morph.c: the same
// algorithms, the same results to the bit, 3–8× faster); the TypeScript (…Ts) is the reference and the
// fallback.

/** Pixels of `mask` at least `r` px (square distance) inside its outline. */
export function erodeSquare(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const ops = visionNativeSync()?.maskOps;
  if (!ops || r <= 0) return erodeSquareTs(mask, w, h, r);
  const out = new Uint8Array(w * h);
  ops.erodeSquare(mask, w, h, r, out);
  return out;
}

/** {@link erodeSquare} in TypeScript. */
export function erodeSquareTs(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask;
  // Separable: a run of 2r+1 ones along x, then along y (runs per column, kept while the rows go by, so
  // both passes read in memory order).
  const k = 2 * r + 1;
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let run = 0;
    for (let x = 0; x < w; x++) {
      run = mask[row + x] ? run + 1 : 0;
      if (run >= k) tmp[row + x - r] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  const runs = new Int32Array(w);
  for (let y = 0; y < h; y++) {
    const row = y * w, back = row - r * w;
    for (let x = 0; x < w; x++) {
      const run = tmp[row + x] ? runs[x] + 1 : 0;
      runs[x] = run;
      if (run >= k) out[back + x] = 1;
    }
  }
  return out;
}

/**
 * {@link erodeSquare} of a side's card mask, computed once per mask and radius: the detector's steps each
 * keep off the card's edge (the components, the folds, the print lines) and the same mask was eroded again
 * for each. Neither the mask nor the result may be written to (both are shared).
 */
export function erodedCardMask(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  let byRadius = erodedMasks.get(mask);
  if (!byRadius) erodedMasks.set(mask, (byRadius = new Map()));
  const key = `${w}x${h}:${r}`;
  let out = byRadius.get(key);
  if (!out) byRadius.set(key, (out = erodeSquare(mask, w, h, r)));
  return out;
}
const erodedMasks = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** Dilate by a (2r+1)² square: a pixel is set when any pixel of its window (clipped to the map) is. */
export function dilateSquare(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const ops = visionNativeSync()?.maskOps;
  if (!ops || r <= 0) return dilateSquareTs(m, w, h, r);
  const out = new Uint8Array(w * h);
  ops.dilateSquare(m, w, h, r, out);
  return out;
}

/** {@link dilateSquare} in TypeScript. */
export function dilateSquareTs(m: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return m;
  // Separable: along x (the last set pixel seen r px ahead), then along y (the last set row per column).
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let last = -r - 1;
    for (let p = 0; p < w + r; p++) {
      if (p < w && m[row + p]) last = p;
      const x = p - r;
      if (x >= 0 && last >= x - r) tmp[row + x] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  const lastRow = new Int32Array(w).fill(-r - 1);
  for (let p = 0; p < h + r; p++) {
    if (p < h) {
      const row = p * w;
      for (let x = 0; x < w; x++) if (tmp[row + x]) lastRow[x] = p;
    }
    const y = p - r;
    if (y < 0) continue;
    const row = y * w;
    for (let x = 0; x < w; x++) if (lastRow[x] >= y - r) out[row + x] = 1;
  }
  return out;
}

/**
 * 8-connected components of `m`: labels 1..n (0 = none), numbered in the raster order of their first pixel
 * (as a flood fill from each unlabelled pixel in raster order numbers them). On runs: each row's runs of set
 * pixels get provisional numbers in raster order and are joined (union-find, the smaller number the root)
 * to the runs of the row above they touch, diagonals included; a component's root is then its first run,
 * so numbering the roots in order gives the raster order of first pixels.
 */
export function components(m: Uint8Array, w: number, h: number): { labels: Int32Array; count: number } {
  const ops = visionNativeSync()?.maskOps;
  if (!ops) return componentsTs(m, w, h);
  const labels = new Int32Array(w * h);
  return { labels, count: ops.components(m, w, h, labels) };
}

/** {@link components} in TypeScript. */
export function componentsTs(m: Uint8Array, w: number, h: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(w * h);
  // Runs: row, start, end (exclusive); at most ⌈w/2⌉ per row.
  let cap = 1024;
  let runY = new Int32Array(cap), runX0 = new Int32Array(cap), runX1 = new Int32Array(cap), parent = new Int32Array(cap);
  let runs = 0;
  const find = (r: number): number => {
    while (parent[r] !== r) { parent[r] = parent[parent[r]]; r = parent[r]; }
    return r;
  };
  let prevStart = 0, prevEnd = 0; // the runs of the row above: [prevStart, prevEnd)
  for (let y = 0; y < h; y++) {
    const row = y * w, rowStart = runs;
    let p = prevStart;
    for (let x = 0; x < w; ) {
      if (!m[row + x]) { x++; continue; }
      const x0 = x;
      while (x < w && m[row + x]) x++;
      if (runs === cap) {
        cap *= 2;
        const grow = (a: Int32Array): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap); b.set(a); return b; };
        runY = grow(runY); runX0 = grow(runX0); runX1 = grow(runX1); parent = grow(parent);
      }
      const r = runs++;
      runY[r] = y; runX0[r] = x0; runX1[r] = x; parent[r] = r;
      // Runs above touching [x0 − 1, x] (8-connected): skip those ending before x0 − 1.
      while (p < prevEnd && runX1[p] < x0) p++;
      for (let q = p; q < prevEnd && runX0[q] <= x; q++) {
        const a = find(q), b = find(r);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
    }
    prevStart = rowStart; prevEnd = runs;
  }
  const number = new Int32Array(runs);
  let count = 0;
  for (let r = 0; r < runs; r++) {
    const root = find(r);
    number[r] = root === r ? ++count : number[root];
    labels.fill(number[r], runY[r] * w + runX0[r], runY[r] * w + runX1[r]);
  }
  return { labels, count };
}

/** The card's pixel box on a map (maps may extend past the card: the mask says where it is). */
export function cardBoxPx(mask: Uint8Array, w: number, h: number): [number, number, number, number] {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    // The first set pixel from the left and from the right: rows are scanned only up to the card's edges.
    let a = 0;
    while (a < w && !mask[row + a]) a++;
    if (a === w) continue;
    let b = w - 1;
    while (!mask[row + b]) b--;
    if (a < x0) x0 = a;
    if (b > x1) x1 = b;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return x1 < 0 ? [0, 0, w, h] : [x0, y0, x1 + 1, y1 + 1];
}

/**
 * {@link cardBoxPx} of a side's card mask, found once per mask: the detector's steps each place their
 * defects in the card's frame, and a 12 MP side's mask took ~1.7 ms to scan each time. The mask must not
 * be written to afterwards (as for {@link erodedCardMask}).
 */
export function cardBoxOfMask(mask: Uint8Array, w: number, h: number): [number, number, number, number] {
  const key = `${w}x${h}`;
  let cached = cardBoxes.get(mask);
  if (cached?.key !== key) cardBoxes.set(mask, (cached = { key, box: cardBoxPx(mask, w, h) }));
  return [...cached.box];
}
const cardBoxes = new WeakMap<Uint8Array, { key: string; box: [number, number, number, number] }>();

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
export function defectDepthUm(maps: CardSideMaps, inside: (x: number, y: number) => boolean, box: [number, number, number, number], gapPx: number, bandPx: number): number {
  const { widthPx: w, reliefUm, mask } = maps;
  let lowest = Infinity;
  for (let y = box[1]; y < box[3]; y++) for (let x = box[0]; x < box[2]; x++) if (mask[y * w + x] && inside(x, y)) lowest = Math.min(lowest, reliefUm[y * w + x]);
  return depthBelowSurroundingsUm(maps, lowest, box, gapPx, bandPx);
}

/** {@link defectDepthUm} once the lowest relief inside the defect is known (Infinity: no pixel inside). */
function depthBelowSurroundingsUm(maps: CardSideMaps, lowest: number, box: [number, number, number, number], gapPx: number, bandPx: number): number {
  const { widthPx: w, heightPx: h, reliefUm, mask } = maps;
  if (!Number.isFinite(lowest)) return 0;
  const ring: number[] = [];
  let hasNaN = false;
  const ox0 = Math.max(0, box[0] - gapPx - bandPx), ox1 = Math.min(w, box[2] + gapPx + bandPx);
  const oy0 = Math.max(0, box[1] - gapPx - bandPx), oy1 = Math.min(h, box[3] + gapPx + bandPx);
  // Sparse sampling keeps long defects cheap: the band of a 80 mm crease has ~10⁵ px.
  const step = Math.max(1, Math.floor(Math.sqrt(((ox1 - ox0) * (oy1 - oy0)) / 20000)));
  for (let y = oy0; y < oy1; y += step) {
    for (let x = ox0; x < ox1; x += step) {
      const dx = Math.max(box[0] - 1 - x, x - box[2], 0), dy = Math.max(box[1] - 1 - y, y - box[3], 0);
      const d = Math.max(dx, dy);
      if (d < gapPx || !mask[y * w + x]) continue;
      const v = reliefUm[y * w + x];
      if (v !== v) hasNaN = true;
      ring.push(v);
    }
  }
  // A typed array sorts numerically in native code, to the same order statistic as the comparator sort
  // (±0 aside, which the difference below cannot tell apart); a NaN has no place in either order, so a ring
  // with one keeps the comparator sort's answer.
  if (hasNaN || ring.length === 0) return Math.max(0, median(ring) - lowest);
  const sorted = new Float64Array(ring).sort();
  return Math.max(0, sorted[sorted.length >> 1] - lowest);
}

/**
 * Probability map → SurfaceDefects: defect pixels (1 − P(background) ≥ threshold, away from the card's
 * outline), bridged over small gaps and grouped in 8-connected components; each component's type is the
 * class with the largest summed probability over its pixels; its length and width are its extent along
 * and across its principal axis, mm; depth from the side's relief (defectDepthUm); position in the card
 * frame (origin at the card centre, x right, y up, mm) and its box in the side's own pixels. With
 * `pp.maxReliefMisfit`, a relief defect whose pixels' mean `misfit` (the photometric-stereo misfit on the
 * model's grid, 0..1: the features' ps-misfit plane) is above it is dropped as foil, not surface. Before
 * the gates, a line's pieces are joined and lines measured for depth along them (finishCandidates).
 */
export function probabilitiesToDefects(p: ProbabilityMap, maps: CardSideMaps, modelMask: Uint8Array, pp: SurfacePostprocess, misfit?: Float32Array): SurfaceDefect[] {
  const candidates = finishCandidates(defectCandidates(p, maps, modelMask, pp, misfit), maps, p.umPerPx, pp.cornerZoneMm, pp.joinLinearGapMm);
  return candidates.filter((c) => passesGates(c, pp)).map((c) => c.defect);
}

/**
 * The measured components as defects before the gates: a line's pieces joined (with `joinLinearGapMm`,
 * fragments.ts), then scratches and creases measured for depth along their line (line-depth.ts).
 */
export function finishCandidates(candidates: DefectCandidate[], maps: CardSideMaps, modelUmPerPx: number, cornerZoneMm: number, joinLinearGapMm?: number): DefectCandidate[] {
  const joined = joinLinearGapMm === undefined ? candidates : joinLinearFragments(candidates, cardFrame(maps, modelUmPerPx, cornerZoneMm), joinLinearGapMm);
  return withLineDepths(joined, maps, modelUmPerPx);
}

/** A component that reached the threshold, confidence and minimum area, before the foil gate. */
export interface DefectCandidate {
  defect: SurfaceDefect;
  /** Mean photometric-stereo misfit over its pixels (0 without a misfit plane). */
  meanMisfit: number;
  /** The ends of its centre line (the middle of its oriented extent across), model px [x0, y0, x1, y1]. */
  axisPx: [number, number, number, number];
}

/** Where a side's card is, for placing a model-grid point in the card frame (defectCandidates, fragments.ts). */
export interface CardFrame {
  /** Model px → card frame mm (origin at the card centre, x right, y up). */
  toCardMm(xPx: number, yPx: number): [number, number];
  /** The corner whose zone holds a card-frame point (cornerOf), if any. */
  cornerAt(centerMm: [number, number]): CornerName | undefined;
  /** mm per model px. */
  mmPerPx: number;
}

/** The card frame of a side for a model grid at `modelUmPerPx`, from the side's own mask (the map may extend past the card). */
export function cardFrame(maps: CardSideMaps, modelUmPerPx: number, cornerZoneMm: number): CardFrame {
  const card = cardBoxOfMask(maps.mask, maps.widthPx, maps.heightPx);
  const sm = maps.umPerPx / 1000;
  const cardCx = (card[0] + card[2]) / 2, cardCy = (card[1] + card[3]) / 2;
  const f = modelUmPerPx / maps.umPerPx; // side px per model px
  const halfWmm = ((card[2] - card[0]) * sm) / 2, halfHmm = ((card[3] - card[1]) * sm) / 2;
  return {
    toCardMm: (x, y) => [((x + 0.5) * f - cardCx) * sm, (cardCy - (y + 0.5) * f) * sm],
    cornerAt: (c) => cornerOf(c, halfWmm, halfHmm, cornerZoneMm),
    mmPerPx: modelUmPerPx / 1000,
  };
}

/**
 * The gates applied after the components are measured: the minimum area, the foil gates (misfit, depth)
 * and the dents' minimum depth. Separate so the
 * calibration (scripts/train/surface-manifest.ts) measures the components once per threshold and tries
 * every area and gate on them.
 */
export function passesGates(c: Pick<DefectCandidate, 'defect' | 'meanMisfit'>, pp: SurfacePostprocess): boolean {
  if (c.defect.areaMm2 < pp.minAreaMm2) return false;
  if (albedoOnly.has(c.defect.type)) return true;
  if (pp.maxReliefMisfit !== undefined && c.meanMisfit > pp.maxReliefMisfit) return false;
  if (pp.minDentDepthUm !== undefined && (c.defect.type === 'dent' || c.defect.type === 'crease') && c.defect.depthUm < pp.minDentDepthUm) return false;
  return pp.maxReliefDepthUm === undefined || c.defect.depthUm <= pp.maxReliefDepthUm;
}

/** probabilitiesToDefects without its last gates (passesGates): every measured component with its misfit. */
export function defectCandidates(p: ProbabilityMap, maps: CardSideMaps, modelMask: Uint8Array, pp: SurfacePostprocess, misfit?: Float32Array): DefectCandidate[] {
  const { width: w, height: h, classes: C, data } = p;
  const n = w * h;
  const s = p.umPerPx / 1000;
  if (pp.maxReliefMisfit !== undefined && misfit?.length !== n) {
    throw createError('GB_INTERNAL', `surface postprocess: the manifest gates relief defects on the misfit, but ${misfit?.length ?? 0} misfit values came for a ${w}×${h} map`);
  }
  const inner = erodedCardMask(modelMask, w, h, Math.round(pp.edgeMarginMm / s));
  const fg = new Uint8Array(n);
  // Each row's span of foreground columns [fgStart, fgEnd): the loops over the foreground below visit only
  // those (it is ~0.5 % of a card with a few defects).
  const fgStart = new Int32Array(h).fill(w), fgEnd = new Int32Array(h);
  for (let y = 0; y < h; y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) {
      if (!inner[i] || !(1 - data[i] >= pp.threshold)) continue;
      fg[i] = 1;
      if (x < fgStart[y]) fgStart[y] = x;
      fgEnd[y] = x + 1;
    }
  }
  if (pp.maxPixelMisfit !== undefined) {
    if (misfit?.length !== n) throw createError('GB_INTERNAL', `surface postprocess: the manifest gates pixels on the misfit, but ${misfit?.length ?? 0} misfit values came for a ${w}×${h} map`);
    // A pixel whose likeliest defect class is a relief kind, on a reading no Lambertian surface explains.
    for (let y = 0; y < h; y++) {
      for (let i = y * w + fgStart[y], e = y * w + fgEnd[y]; i < e; i++) {
        if (!fg[i] || misfit[i] <= pp.maxPixelMisfit) continue;
        let best = 1;
        for (let c = 2; c < C; c++) if (data[c * n + i] > data[best * n + i]) best = c;
        const type = defectTypeOfClass(best);
        if (type && !albedoOnly.has(type)) fg[i] = 0;
      }
    }
  }
  const bridged = dilateSquare(fg, w, h, Math.max(0, Math.round(pp.bridgeMm / s / 2)));
  const { labels, count } = components(bridged, w, h);
  // Per component: pixel count, probability sums per class, moments for the principal axis, box.
  const cnt = new Float64Array(count + 1);
  const misfitSum = new Float64Array(count + 1);
  const psum = new Float64Array((count + 1) * C);
  const sx = new Float64Array(count + 1), sy = new Float64Array(count + 1);
  const sxx = new Float64Array(count + 1), syy = new Float64Array(count + 1), sxy = new Float64Array(count + 1);
  const bx0 = new Int32Array(count + 1).fill(w), by0 = new Int32Array(count + 1).fill(h), bx1 = new Int32Array(count + 1), by1 = new Int32Array(count + 1);
  // Run by run along each row (a run of foreground pixels is one component's: they touch). The float sums
  // add pixel by pixel in raster order, as before (their rounding depends on the order); the count, moments
  // and box are integers, exact in float64 whether added per pixel or per run.
  for (let y = 0; y < h; y++) {
    const row = y * w, end = fgEnd[y];
    for (let x = fgStart[y]; x < end; ) {
      if (!fg[row + x]) { x++; continue; }
      const a = x;
      while (x < end && fg[row + x]) x++;
      const i0 = row + a, i1 = row + x, len = x - a;
      const k = labels[i0];
      cnt[k] += len;
      if (misfit) {
        let acc = misfitSum[k];
        for (let i = i0; i < i1; i++) acc += misfit[i];
        misfitSum[k] = acc;
      }
      for (let c = 0, o = k * C, plane = 0; c < C; c++, plane += n) {
        let acc = psum[o + c];
        for (let i = plane + i0, e = plane + i1; i < e; i++) acc += data[i];
        psum[o + c] = acc;
      }
      // Σx and Σx² over a..x−1 in closed form (exact integers).
      const sumX = (len * (a + x - 1)) / 2, sumXX = ((x - 1) * x * (2 * x - 1) - (a - 1) * a * (2 * a - 1)) / 6;
      sx[k] += sumX; sy[k] += len * y; sxx[k] += sumXX; syy[k] += len * y * y; sxy[k] += sumX * y;
      if (a < bx0[k]) bx0[k] = a; if (y < by0[k]) by0[k] = y;
      if (x > bx1[k]) bx1[k] = x; if (y + 1 > by1[k]) by1[k] = y + 1;
    }
  }
  // Card frame from the side's own mask (the map may extend past the card).
  const frame = cardFrame(maps, p.umPerPx, pp.cornerZoneMm);
  const sm = maps.umPerPx / 1000;
  const f = p.umPerPx / maps.umPerPx; // side px per model px
  const out: DefectCandidate[] = [];
  for (let k = 1; k <= count; k++) {
    const m = cnt[k];
    if (m === 0 || m * s * s < pp.minAreaMm2) continue;
    const confidence = 1 - psum[k * C] / m;
    if (confidence < pp.minConfidence) continue;
    let best = 1;
    for (let c = 2; c < C; c++) if (psum[k * C + c] > psum[k * C + best]) best = c;
    let type = defectTypeOfClass(best);
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
    if (type === 'dent' && isFoldShaped(lengthMm, widthMm)) type = 'crease';
    // Centre: middle of the oriented extent (a scratch's midpoint even where one end is fainter).
    const cxPx = mx + ux * (a0 + a1) / 2 - uy * (b0 + b1) / 2;
    const cyPx = my + uy * (a0 + a1) / 2 + ux * (b0 + b1) / 2;
    const centerMm = frame.toCardMm(cxPx, cyPx);
    const boxPx: [number, number, number, number] = [
      Math.max(0, Math.floor(bx0[k] * f)), Math.max(0, Math.floor(by0[k] * f)),
      Math.min(maps.widthPx, Math.ceil(bx1[k] * f)), Math.min(maps.heightPx, Math.ceil(by1[k] * f)),
    ];
    let depthUm = 0;
    if (!albedoOnly.has(type)) {
      // The lowest relief on the side's pixels whose model pixel is the component's (defectDepthUm's
      // `inside`, with the model column of each side column and the model row of each side row looked up).
      // The model column is non-decreasing along a side row, so the side columns of each model column are
      // one run [runStart[c], runStart[c + 1]) and only the runs of the component's pixels are visited (the
      // minimum does not depend on the order).
      const sideW = maps.widthPx, relief = maps.reliefUm, sideMask = maps.mask;
      const firstCol = Math.min(w - 1, Math.floor((boxPx[0] + 0.5) / f));
      const lastCol = boxPx[2] > boxPx[0] ? Math.min(w - 1, Math.floor((boxPx[2] - 1 + 0.5) / f)) : firstCol - 1;
      const runStart = new Int32Array(Math.max(0, lastCol - firstCol + 2)).fill(-1);
      for (let x = boxPx[2] - 1; x >= boxPx[0]; x--) runStart[Math.min(w - 1, Math.floor((x + 0.5) / f)) - firstCol] = x;
      runStart[runStart.length - 1] = boxPx[2];
      // A model column no side column falls in (a model finer than the side): an empty run.
      for (let c = runStart.length - 2; c >= 0; c--) if (runStart[c] < 0) runStart[c] = runStart[c + 1];
      let lowest = Infinity;
      for (let y = boxPx[1]; y < boxPx[3]; y++) {
        const modelRow = Math.min(h - 1, Math.floor((y + 0.5) / f)) * w, row = y * sideW;
        for (let c = firstCol; c <= lastCol; ) {
          const j = modelRow + c;
          if (fg[j] !== 1 || labels[j] !== k) { c++; continue; }
          // The component's model columns c..d−1 of this row: one run of side columns.
          let d = c + 1;
          while (d <= lastCol && fg[modelRow + d] === 1 && labels[modelRow + d] === k) d++;
          for (let x = row + runStart[c - firstCol], e = row + runStart[d - firstCol]; x < e; x++) if (sideMask[x]) lowest = Math.min(lowest, relief[x]);
          c = d;
        }
      }
      const gapPx = Math.round(Math.max(0.3, 0.4 * widthMm) / sm);
      depthUm = depthBelowSurroundingsUm(maps, lowest, boxPx, gapPx, Math.round(1 / sm));
    }
    const defect: SurfaceDefect = {
      type, side: maps.side, centerMm, lengthMm, widthMm, depthUm, areaMm2: m * s * s, confidence, boxPx,
    };
    const corner = frame.cornerAt(centerMm);
    if (corner) defect.corner = corner;
    const mid = (b0 + b1) / 2;
    const axisPx: [number, number, number, number] = [mx + ux * a0 - uy * mid, my + uy * a0 + ux * mid, mx + ux * a1 - uy * mid, my + uy * a1 + ux * mid];
    out.push({ defect, meanMisfit: misfitSum[k] / m, axisPx });
  }
  out.sort((a, b) => b.defect.confidence - a.defect.confidence);
  return out;
}

/**
 * A dent is a local, round depression (GRADING.md: dents and indentations; the simulator's are 1.6–6 mm
 * across, and so are a second renderer's). A depression at least this long, mm, …
 */
export const foldMinLengthMm = 10;
/** …and at least this many times as long as it is wide is a fold line: a crease, whatever its pixels' class. */
export const foldMinAspect = 3;

/**
 * Whether a component the network calls a dent has a fold's shape (foldMinLengthMm, foldMinAspect). The
 * network, trained on the simulator's narrow V-creases, called a second renderer's wider folds with raised
 * shoulders "dent": 24–46 mm long and 2.3–11 mm wide on 3 of its 5 creases (scripts/eval/foreign-eval.ts),
 * which a collector's report would call a dent 45 mm long.
 */
export function isFoldShaped(lengthMm: number, widthMm: number): boolean {
  return lengthMm >= foldMinLengthMm && lengthMm >= foldMinAspect * widthMm;
}

/** The corner whose square zone (zoneMm from both of its edges) holds the point, if any. */
export function cornerOf([u, v]: [number, number], halfWmm: number, halfHmm: number, zoneMm: number): CornerName | undefined {
  const nearX = Math.abs(u) >= halfWmm - zoneMm, nearY = Math.abs(v) >= halfHmm - zoneMm;
  if (!nearX || !nearY) return undefined;
  return `${v > 0 ? 't' : 'b'}${u > 0 ? 'r' : 'l'}` as CornerName;
}
