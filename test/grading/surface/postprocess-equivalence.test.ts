import t from 'tap';
import { defectCandidates, isFoldShaped, passesGates, probabilitiesToDefects, type ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import type { SurfacePostprocess } from '../../../src/grading/surface/manifest.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';
import { referenceDefectCandidates } from './postprocess-reference.ts';

// The post-processing was rewritten for speed (run-based components, row-order erosion and dilation, the
// depth's inside test by lookup); its answers must not move by a bit: every candidate's type, centre,
// size, depth, area, confidence, box, corner and mean misfit, in the same order, equal the reference's
// (the implementation it replaced, kept verbatim in postprocess-reference.ts), on probability maps with
// hundreds of components: blobs, scratches with gaps, diagonal touches, components on the map's border and
// on the card's outline, several classes mixed in one component, with and without the foil gate.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let z = s; z = Math.imul(z ^ (z >>> 15), z | 1); z ^= z + Math.imul(z ^ (z >>> 7), z | 61); return ((z ^ (z >>> 14)) >>> 0) / 4294967296; };
}

/** A side's maps at `umPerPx` covering the model map's area: a rounded card mask, a bowed, noisy relief. */
function sideMaps(wMm: number, hMm: number, umPerPx: number, seed: number): CardSideMaps {
  const r = rng(seed);
  const s = umPerPx / 1000, w = Math.round(wMm / s), h = Math.round(hMm / s), n = w * h;
  const mask = new Uint8Array(n), reliefUm = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x * s, v = y * s;
      // 1 mm of tray around the card, 3 mm corner radius.
      const cu = Math.min(Math.max(u, 4), wMm - 4), cv = Math.min(Math.max(v, 4), hMm - 4);
      const i = y * w + x;
      mask[i] = u >= 1 && v >= 1 && u <= wMm - 1 && v <= hMm - 1 && Math.hypot(u - cu, v - cv) <= 3 ? 1 : 0;
      reliefUm[i] = 20 * Math.sin(u / 7) * Math.cos(v / 9) - 30 * Math.exp(-((u - wMm / 3) ** 2 + (v - hMm / 2) ** 2) / 4) + 4 * (r() - 0.5);
    }
  }
  // Relief readings that are not numbers, single and in patches of 1 mm (a ring or an inside holding one
  // must give what it gave: NaN has no place in a sort's order).
  for (let k = 0; k < 20; k++) reliefUm[Math.floor(r() * n)] = NaN;
  for (let k = 0; k < 12; k++) {
    const px = Math.round(1 / s), x0 = Math.floor(r() * (w - px)), y0 = Math.floor(r() * (h - px));
    for (let y = y0; y < y0 + px; y++) for (let x = x0; x < x0 + px; x++) reliefUm[y * w + x] = NaN;
  }
  return { side: 'back', widthPx: w, heightPx: h, umPerPx, mask, normals: new Float32Array(3 * n), albedo: new Float32Array(n), reliefUm };
}

/** Probabilities with many components of mixed classes on a w × h map at 60 µm/px. */
function manyComponents(w: number, h: number, seed: number): ProbabilityMap {
  const r = rng(seed);
  const K = 6, n = w * h;
  const data = new Float32Array(K * n);
  const fg = new Float32Array(n); // defect probability
  const cls = new Uint8Array(n);
  const paint = (x: number, y: number, p: number, c: number): void => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const i = y * w + x;
    if (p > fg[i]) { fg[i] = p; cls[i] = c; }
  };
  for (let k = 0; k < 260; k++) {
    const kind = r(), c = 1 + Math.floor(r() * 5), p = 0.3 + 0.7 * r();
    const x0 = r() * w, y0 = r() * h;
    if (kind < 0.45) {
      const rad = 0.5 + 6 * r() ** 2; // blobs down to one pixel
      for (let y = Math.floor(y0 - rad); y <= y0 + rad; y++) for (let x = Math.floor(x0 - rad); x <= x0 + rad; x++) if (Math.hypot(x - x0, y - y0) <= rad) paint(x, y, p * (0.85 + 0.15 * r()), r() < 0.8 ? c : 1 + Math.floor(r() * 5));
    } else if (kind < 0.75) {
      // A scratch, one or two px wide, with gaps (bridged or not, by the bridge width).
      const a = r() * Math.PI, len = 10 + 120 * r(), gap = 2 + Math.floor(r() * 10), width = r() < 0.5 ? 0 : 1;
      for (let tt = 0; tt < len; tt += 0.5) {
        if (Math.floor(tt) % (gap + 3) < 2 && r() < 0.7) continue;
        const x = Math.round(x0 + tt * Math.cos(a)), y = Math.round(y0 + tt * Math.sin(a));
        for (let d = 0; d <= width; d++) paint(x + d, y, p, c);
      }
    } else if (kind < 0.9) {
      // A diagonal chain of single pixels (8-connected only) and its mirror.
      const len = 3 + Math.floor(20 * r());
      for (let d = 0; d < len; d++) { paint(Math.floor(x0) + d, Math.floor(y0) + d, p, c); paint(Math.floor(x0) + 2 * len - d, Math.floor(y0) + d, p, c); }
    } else {
      // On the map's border or the card's outline.
      const edge = Math.floor(r() * 4), along = Math.floor(r() * (edge < 2 ? w : h)), depth = Math.floor(r() * 25), size = 1 + Math.floor(r() * 8);
      for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) {
        if (edge === 0) paint(along + a, depth + b, p, c);
        else if (edge === 1) paint(along + a, h - 1 - depth - b, p, c);
        else if (edge === 2) paint(depth + b, along + a, p, c);
        else paint(w - 1 - depth - b, along + a, p, c);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    // Background gets 1 − p; the rest is spread over the classes with most on the painted one.
    const p = fg[i];
    data[i] = 1 - p;
    const rest = p * 0.2 * r();
    for (let c = 1; c < K; c++) data[c * n + i] = rest / (K - 1);
    data[(cls[i] || 1) * n + i] += p - rest;
  }
  return { classes: K, width: w, height: h, umPerPx: 60, data };
}

const base: SurfacePostprocess = { threshold: 0.5, minAreaMm2: 0, minConfidence: 0, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6 };

t.test('defectCandidates and probabilitiesToDefects equal the reference on maps with many components', async (t) => {
  const w = 400, h = 560; // 24 × 33.6 mm at 60 µm/px
  const modelMask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) modelMask[y * w + x] = x >= 17 && y >= 17 && x < w - 17 && y < h - 17 ? 1 : 0;
  const misfit = new Float32Array(w * h);
  const r = rng(99);
  for (let i = 0; i < misfit.length; i++) misfit[i] = (Math.floor(i / w) > h / 2 ? 0.5 : 0.1) + 0.3 * r();
  // The side at 25 µm/px (2.4 side px per model px, the booth's case), at the model's own scale, and coarser.
  const sides = [sideMaps(24, 33.6, 25, 1), sideMaps(24, 33.6, 60, 2), sideMaps(24, 33.6, 80, 3)];
  const settings: SurfacePostprocess[] = [
    base,
    { ...base, threshold: 0.8, minAreaMm2: 0.05, minConfidence: 0.7 },
    { ...base, bridgeMm: 0, edgeMarginMm: 0 },
    { ...base, bridgeMm: 1.5, edgeMarginMm: 1.2, threshold: 0.35 },
    { ...base, maxReliefMisfit: 0.45, minAreaMm2: 0.02 },
  ];
  let compared = 0;
  for (const seed of [5, 6]) {
    const p = manyComponents(w, h, seed);
    for (const maps of sides) {
      for (const pp of settings) {
        const label = `seed ${seed}, side at ${maps.umPerPx} µm/px, threshold ${pp.threshold}, bridge ${pp.bridgeMm}, margin ${pp.edgeMarginMm}${pp.maxReliefMisfit ? `, gate ${pp.maxReliefMisfit}` : ''}`;
        // A "dent" with a fold's shape came after the reference too: it is a crease (isFoldShaped, tested in postprocess.test.ts).
        const want = referenceDefectCandidates(p, maps, modelMask, pp, misfit).map((c) => (c.defect.type === 'dent' && isFoldShaped(c.defect.lengthMm, c.defect.widthMm) ? { ...c, defect: { ...c.defect, type: 'crease' as const } } : c));
        // The centre line's ends (axisPx) came after the reference, for joining a scratch's pieces (fragments.ts, its own tests).
        const got = defectCandidates(p, maps, modelMask, pp, misfit).map(({ axisPx: _axis, ...c }) => c);
        t.strictSame(got, want, `${label}: ${want.length} candidates identical`);
        // probabilitiesToDefects then measures scratches and creases along their line (line-depth.ts, tested
        // in postprocess.test.ts): every other kind and figure is the reference's.
        const lineKind = (type: string): boolean => type === 'scratch' || type === 'crease';
        const noLineDepth = (d: { type: string; depthUm: number }) => (lineKind(d.type) ? { ...d, depthUm: 0 } : d);
        const defects = probabilitiesToDefects(p, maps, modelMask, pp, misfit);
        t.strictSame(defects.map(noLineDepth), want.filter((c) => passesGates(c, pp)).map((c) => noLineDepth(c.defect)), `${label}: defects identical but for the lines' depth`);
        compared += want.length;
      }
    }
  }
  t.ok(compared > 1000, `${compared} candidates compared`);
  // Many components, some with a depth, some touching the border, some carrying a corner.
  const one = referenceDefectCandidates(manyComponents(w, h, 5), sides[0], modelMask, settings[2], misfit);
  t.ok(one.length >= 100, `${one.length} components in one map`);
  t.ok(one.some((c) => c.defect.depthUm > 0) && one.some((c) => c.defect.corner !== undefined) && new Set(one.map((c) => c.defect.type)).size >= 4, 'depths, corners and several types among them');
});
