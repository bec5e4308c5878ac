import t from 'tap';
import { integrateNormals } from '../../src/vision/integrate.ts';
import { distantLights } from '../../src/vision/lights.ts';
import { coarseFallback, defaultCoarseFallback } from '../../src/vision/ps-coarse-fallback.ts';
import { angleDeg, solvePhotometricStereo } from '../../src/vision/ps.ts';
import { heightScene, renderPlanes, ringLights, rng } from './scenes.ts';

// A 14.4 × 14.4 mm patch at 60 µm/px with a Gaussian dent (σ 0.9 mm, 90 µm deep) inside a 7.2 mm square
// of "foil" whose readings a grating modulates: its bright phase moves across the foil with a 0.3 mm period
// and with each light's azimuth (as a diffraction grating's does), 0.35–1 × the Lambertian reading. No
// normal fits one foil pixel; over a 0.42 mm block (7 px) the modulation averages out for every light.
const W = 240, H = 240, umPerPx = 60, blockPx = 7;
const depthPx = 1.5, sigmaPx = 15, cx = 120, cy = 120;
const dent = (x: number, y: number): number => -depthPx * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigmaPx ** 2));
const dirs = ringLights([30, 45, 60], 8);
const field = distantLights(W, H, dirs);
const lightAt = (i: number): [number, number, number, number] => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1];
const inFoil = (x: number, y: number): boolean => x >= 60 && x < 180 && y >= 60 && y < 180;

type Modulation = (x: number, y: number, light: number) => number;
const grating: Modulation = (x, y, i) => {
  const az = Math.atan2(dirs[3 * i + 1], dirs[3 * i]);
  const phase = ((x * Math.cos(0.6) + y * Math.sin(0.6)) / 5) * 2 * Math.PI + 4 * az;
  return 0.35 + 0.65 * (0.5 + 0.5 * Math.cos(phase)) ** 3;
};

function capture(region: (x: number, y: number) => boolean, modulation: Modulation) {
  const scene = heightScene(W, H, dent);
  const planes = renderPlanes(scene, dirs.length / 3, lightAt, { noise: 0.002, seed: 3 });
  planes.forEach((plane, i) => {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (region(x, y)) plane[y * W + x] = Math.round(plane[y * W + x] * modulation(x, y, i));
  });
  return { scene, planes };
}

async function solve(planes: Uint16Array[]) {
  return solvePhotometricStereo(planes, field, { saturation: 65535 });
}

function meanErrorDeg(normals: Float32Array, truth: Float32Array, where: (x: number, y: number) => boolean): number {
  let s = 0, n = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (where(x, y)) { s += angleDeg(normals, truth, y * W + x); n++; }
  return s / n;
}

/** Dent depth in the integrated height: the ring 3–4 σ out minus the centre, px. */
async function dentDepthPx(normals: Float32Array): Promise<number> {
  const { heightPx } = await integrateNormals(normals, W, H);
  let ring = 0, n = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const r = Math.hypot(x - cx, y - cy) / sigmaPx;
    if (r >= 3 && r < 4) { ring += heightPx[y * W + x]; n++; }
  }
  return ring / n - heightPx[cy * W + cx];
}

const options = { ...defaultCoarseFallback, blockPx, saturation: 65535 };
// Foil pixels away from the foil's edge (its blocks and their interpolation neighbours are all foil).
const foilInside = (x: number, y: number): boolean => x >= 74 && x < 166 && y >= 74 && y < 166;

t.test('a dent under a grating foil: the blocks fit where the pixels do not, and the dent comes back', async (t) => {
  const { scene, planes } = capture(inFoil, grating);
  const ps = await solve(planes);
  const before = { normals: Float32Array.from(ps.normals), confidence: Float32Array.from(ps.confidence) };
  let low = 0;
  for (let y = 74; y < 166; y++) for (let x = 74; x < 166; x++) if (ps.confidence[y * W + x] < options.lowConfidence) low++;
  t.ok(low > 0.8 * 92 * 92, `the per-pixel fit fails over the foil (${low} of ${92 * 92} px below ${options.lowConfidence})`);
  const errBefore = meanErrorDeg(ps.normals, scene.normals, foilInside);
  const depthBefore = await dentDepthPx(ps.normals);

  const r = await coarseFallback(planes, field, ps, undefined, options);
  const errAfter = meanErrorDeg(ps.normals, scene.normals, foilInside);
  const depthAfter = await dentDepthPx(ps.normals);
  t.comment(`foil: normal error ${errBefore.toFixed(2)}° → ${errAfter.toFixed(2)}°, dent depth ${(depthBefore * umPerPx).toFixed(0)} → ${(depthAfter * umPerPx).toFixed(0)} µm (truth ${depthPx * umPerPx}), ${r.pixelsReplaced} px replaced, ${r.blocksSolved} blocks solved`);
  t.ok(errBefore > 3, `per pixel the foil's normals are wrong (${errBefore.toFixed(2)}°)`);
  t.ok(Math.abs(depthBefore - depthPx) > 0.5 * depthPx, `and the relief integrated from them misses the dent (${(depthBefore * umPerPx).toFixed(1)} µm)`);
  t.ok(errAfter < 0.5, `from the blocks they are right (${errAfter.toFixed(2)}°)`);
  t.ok(Math.abs(depthAfter - depthPx) <= 0.2 * depthPx, `dent depth ${(depthAfter * umPerPx).toFixed(1)} µm within 20 % of ${depthPx * umPerPx} µm`);
  t.ok(r.pixelsReplaced >= 0.9 * 120 * 120, `the foil's pixels are replaced (${r.pixelsReplaced} of ${120 * 120})`);
  let minConf = 1;
  for (let y = 74; y < 166; y++) for (let x = 74; x < 166; x++) minConf = Math.min(minConf, ps.confidence[y * W + x]);
  t.ok(minConf >= options.minCoarseConfidence, `the replaced pixels carry the blocks' confidence (min ${minConf.toFixed(3)})`);
  let changedOutside = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = y * W + x;
    if (inFoil(x, y)) continue;
    if (ps.confidence[p] !== before.confidence[p] || ps.normals[3 * p] !== before.normals[3 * p] || ps.normals[3 * p + 1] !== before.normals[3 * p + 1]) changedOutside++;
  }
  t.equal(changedOutside, 0, 'pixels off the foil, which fit, keep their per-pixel normals bit for bit');
});

t.test('a grating along the pixel rows with a period near the block\'s is low-passed, not aliased into the blocks', async (t) => {
  // A 6 px (0.36 mm) period along x in 7 px blocks: a block's own mean keeps ~15 % of it, and sampled once
  // per block that rest beats over ~40 px, with a phase that moves with the light. Fitted from block means
  // (with a [1 2 1] tent) the blocks' confidence was 0.01 and nothing was replaced; low-passed by the
  // Gaussian (σ = 0.75 block) they fit.
  const along: Modulation = (x, _y, i) => {
    const az = Math.atan2(dirs[3 * i + 1], dirs[3 * i]);
    return 0.35 + 0.65 * (0.5 + 0.5 * Math.cos((x / 6) * 2 * Math.PI + 4 * az)) ** 3;
  };
  const { scene, planes } = capture(inFoil, along);
  const ps = await solve(planes);
  const r = await coarseFallback(planes, field, ps, undefined, options);
  let minConf = 1;
  for (let y = 74; y < 166; y++) for (let x = 74; x < 166; x++) minConf = Math.min(minConf, ps.confidence[y * W + x]);
  const err = meanErrorDeg(ps.normals, scene.normals, foilInside);
  const depth = await dentDepthPx(ps.normals);
  t.comment(`6 px grating along x: ${r.pixelsReplaced} px replaced, min confidence ${minConf.toFixed(3)}, normal error ${err.toFixed(2)}°, dent ${(depth * umPerPx).toFixed(0)} µm`);
  t.ok(r.pixelsReplaced >= 0.9 * 120 * 120, `the foil's pixels are replaced (${r.pixelsReplaced})`);
  t.ok(minConf >= 0.9, `the blocks fit (min confidence ${minConf.toFixed(3)})`);
  t.ok(err < 0.5, `normals right (${err.toFixed(2)}°)`);
  t.ok(Math.abs(depth - depthPx) <= 0.2 * depthPx, `dent depth ${(depth * umPerPx).toFixed(1)} µm within 20 % of ${depthPx * umPerPx} µm`);
  t.ok(r.blocks && r.blocks.blockPx === blockPx && r.blocks.used.some((u) => u === 1), 'the result names the blocks whose normals were used');
});

t.test('a foil that stays non-Lambertian at any scale keeps its per-pixel solve and low confidence', async (t) => {
  // Each light's reading scaled by its own factor everywhere on the foil (a mirror-like lobe: the foil's
  // brightness depends on the light, not on where the pixel is): averaging over a block changes nothing.
  const rand = rng(7);
  const perLight = Array.from({ length: dirs.length / 3 }, () => 0.2 + 0.8 * rand() ** 2);
  const { planes } = capture(inFoil, (_x, _y, i) => perLight[i]);
  const ps = await solve(planes);
  const before = { normals: Float32Array.from(ps.normals), confidence: Float32Array.from(ps.confidence) };
  let low = 0;
  for (let y = 74; y < 166; y++) for (let x = 74; x < 166; x++) if (ps.confidence[y * W + x] < options.lowConfidence) low++;
  t.ok(low > 0.8 * 92 * 92, `the per-pixel fit fails over the foil (${low} px)`);
  const r = await coarseFallback(planes, field, ps, undefined, options);
  t.ok(r.blocksSolved > 0, `the wide failed region is tried at the block scale (${r.blocksSolved} blocks)`);
  t.equal(r.pixelsReplaced, 0, 'no block fits, so nothing is replaced');
  t.same(ps.normals, before.normals, 'normals unchanged');
  t.same(ps.confidence, before.confidence, 'confidence unchanged: the surface model still reads the foil as not surface');
});

t.test('a narrow failed stripe (a scratch\'s width, a few blocks at most) keeps its per-pixel normals', async (t) => {
  const stripe = (x: number, y: number): boolean => x >= 100 && x < 112 && y >= 30 && y < 210;
  const { planes } = capture(stripe, grating);
  const ps = await solve(planes);
  let low = 0;
  for (let y = 30; y < 210; y++) for (let x = 100; x < 112; x++) if (ps.confidence[y * W + x] < options.lowConfidence) low++;
  t.ok(low > 0.5 * 12 * 180, `the stripe fails per pixel (${low} px)`);
  const before = Float32Array.from(ps.normals);
  const r = await coarseFallback(planes, field, ps, undefined, options);
  t.equal(r.blocksSolved, 0, 'a region narrower than 3 blocks is not tried');
  t.same(ps.normals, before, 'normals unchanged');
});

t.test('a clean side costs one pass over its confidence', async (t) => {
  const { planes } = capture(() => false, grating);
  const ps = await solve(planes);
  const r = await coarseFallback(planes, field, ps, undefined, options);
  t.same(r, { blocksSolved: 0, pixelsReplaced: 0 });
});

t.test('a block with a saturated reading leaves that light out, and the rest still fit', async (t) => {
  const { scene, planes } = capture(inFoil, grating);
  // Clip one light over a corner of the foil.
  for (let y = 80; y < 120; y++) for (let x = 80; x < 120; x++) planes[5][y * W + x] = 65535;
  const ps = await solve(planes);
  const r = await coarseFallback(planes, field, ps, undefined, options);
  const err = meanErrorDeg(ps.normals, scene.normals, (x, y) => x >= 80 && x < 120 && y >= 80 && y < 120);
  t.ok(r.pixelsReplaced > 0);
  t.ok(err < 1.5, `normals under the clipped light are still right (${err.toFixed(2)}°)`);
});
