import { createError } from '../../core/errors.ts';
import type { FloatImage } from '../../imaging/image.ts';
import type { Intrinsics } from '../mirror-sphere.ts';
import { labelComponents, sampledMedian } from './images.ts';
import { fitRadialK1, undistortPixels, withRadialDistortion } from './distortion.ts';
import { applyH, fitHomography, intersectPixel, planeFromHomography, type CameraPlane } from './plane.ts';

/** What the dot grid tells: the grid plane's pose, the scale, and how well a pinhole model fits. */
export interface DotGridResult {
  /** The grid's top surface in the camera frame. */
  plane: CameraPlane;
  /** Scale at the image centre on the grid plane, µm per px. */
  umPerPx: number;
  dots: number;
  /** RMS and max distance of the undistorted dot centres from the fitted homography, px. */
  rmsResidualPx: number;
  maxResidualPx: number;
  /** Radial distortion k1 (normalised coordinates), applied to every ray from here on. */
  radialK1: number;
  /** RMS residual of a plain pinhole homography, before removing distortion, px. */
  rmsBeforeDistortionPx: number;
  /** Angle between the grid normal and the optical axis, degrees. */
  tiltDeg: number;
}

/**
 * Find the dark dots of the dot grid in a well-lit image (linear, e.g. the mean over the high LEDs):
 * dots are pixels darker than half the local background (median of a coarse block grid), grouped into
 * components of the expected area; centres are darkness-weighted centroids (pixel centres at +0.5).
 */
export function findDots(image: FloatImage, blockPx: number): { dots: Array<[number, number]>; medianAreaPx: number } {
  const { width, height, data } = image;
  // Local background: the brightest-quartile level in blocks of a few dot pitches (the white between dots).
  const block = Math.max(8, Math.round(blockPx));
  const bw = Math.ceil(width / block);
  const bh = Math.ceil(height / block);
  const bg = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const vals: number[] = [];
      for (let y = by * block; y < Math.min(height, (by + 1) * block); y += 2) for (let x = bx * block; x < Math.min(width, (bx + 1) * block); x += 2) vals.push(data[y * width + x]);
      vals.sort((a, b) => a - b);
      bg[by * bw + bx] = vals[Math.floor(vals.length * 0.75)] ?? 0;
    }
  }
  const globalBright = sampledMedian(bg, 1);
  const mask = new Uint8Array(width * height);
  const darkness = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const b = bg[Math.min(bh - 1, Math.floor(y / block)) * bw + Math.min(bw - 1, Math.floor(x / block))];
      // Only where the background is the white plate (the tray around it is dark, with no dots).
      if (b < 0.5 * globalBright) continue;
      const v = data[y * width + x];
      if (v < 0.5 * b) {
        mask[y * width + x] = 1;
        darkness[y * width + x] = 1 - v / b;
      }
    }
  }
  const { labels, sizes } = labelComponents(mask, width, height);
  const sx = new Float64Array(sizes.length);
  const sy = new Float64Array(sizes.length);
  const sw = new Float64Array(sizes.length);
  const touches = new Uint8Array(sizes.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x];
      if (!l) continue;
      const w = darkness[y * width + x];
      sx[l] += w * (x + 0.5);
      sy[l] += w * (y + 0.5);
      sw[l] += w;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touches[l] = 1;
    }
  }
  // Dots are the many components of one size: keep those near the median area of the plausible ones.
  const plausible: number[] = [];
  for (let l = 1; l < sizes.length; l++) if (!touches[l] && sizes[l] >= 4 && sizes[l] <= (width * height) / 1000) plausible.push(sizes[l]);
  plausible.sort((a, b) => a - b);
  const medianAreaPx = plausible[plausible.length >> 1] ?? 0;
  const dots: Array<[number, number]> = [];
  for (let l = 1; l < sizes.length; l++) {
    if (touches[l] || sizes[l] < 0.4 * medianAreaPx || sizes[l] > 2.5 * medianAreaPx) continue;
    dots.push([sx[l] / sw[l], sy[l] / sw[l]]);
  }
  return { dots, medianAreaPx };
}

/** Median distance from each dot to its nearest neighbour, px (the grid pitch in the image). */
export function medianNeighbourPx(dots: ReadonlyArray<readonly [number, number]>): number {
  const cell = 64;
  const buckets = new Map<string, number[]>();
  dots.forEach(([x, y], i) => {
    const key = `${Math.floor(x / cell)},${Math.floor(y / cell)}`;
    (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(i);
  });
  const nn: number[] = [];
  dots.forEach(([x, y], i) => {
    let best = Infinity;
    const cx = Math.floor(x / cell), cy = Math.floor(y / cell);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      for (const j of buckets.get(`${cx + dx},${cy + dy}`) ?? []) if (j !== i) best = Math.min(best, Math.hypot(dots[j][0] - x, dots[j][1] - y));
    }
    if (Number.isFinite(best)) nn.push(best);
  });
  nn.sort((a, b) => a - b);
  return nn[nn.length >> 1] ?? 0;
}

/**
 * Give each dot its grid index: the dot nearest the image centre is (0, 0); the two lattice vectors are
 * the median nearest-neighbour steps; indices are rounded in that lattice, a homography is fitted to the
 * dots that fall close to lattice points, and indices are re-assigned from it (perspective-safe).
 */
export function assignGrid(dots: ReadonlyArray<[number, number]>, width: number, height: number, pitchPxGuess: number): { grid: Array<[number, number]>; px: Array<[number, number]> } {
  if (dots.length < 16) throw createError('GB_VISION_FAILED', `dot grid: found only ${dots.length} dots (expected hundreds); is the dot grid on the tray and lit?`);
  let origin = dots[0];
  for (const d of dots) if (Math.hypot(d[0] - width / 2, d[1] - height / 2) < Math.hypot(origin[0] - width / 2, origin[1] - height / 2)) origin = d;
  // Lattice vectors from neighbours near the origin: the nearest dot roughly along +x and along +y.
  const near = dots.filter((d) => Math.hypot(d[0] - origin[0], d[1] - origin[1]) < 4 * pitchPxGuess);
  const pick = (dir: [number, number]): [number, number] => {
    let best: [number, number] | undefined;
    let bestD = Infinity;
    for (const d of near) {
      const v: [number, number] = [d[0] - origin[0], d[1] - origin[1]];
      const len = Math.hypot(v[0], v[1]);
      if (len < 0.5 * pitchPxGuess || len > 1.5 * pitchPxGuess) continue;
      if ((v[0] * dir[0] + v[1] * dir[1]) / len < 0.9) continue;
      if (len < bestD) {
        bestD = len;
        best = v;
      }
    }
    if (!best) throw createError('GB_VISION_FAILED', 'dot grid: cannot find the lattice directions near the image centre');
    return best;
  };
  const a = pick([1, 0]);
  const b = pick([0, 1]);
  const det = a[0] * b[1] - a[1] * b[0];
  let grid: Array<[number, number]> = [];
  let px: Array<[number, number]> = [];
  for (const d of dots) {
    const vx = d[0] - origin[0];
    const vy = d[1] - origin[1];
    const i = (vx * b[1] - vy * b[0]) / det;
    const j = (a[0] * vy - a[1] * vx) / det;
    // Only the central part trusts the affine guess; the homography below extends it.
    if (Math.abs(i) > 12 || Math.abs(j) > 12) continue;
    if (Math.abs(i - Math.round(i)) < 0.2 && Math.abs(j - Math.round(j)) < 0.2) {
      grid.push([Math.round(i), Math.round(j)]);
      px.push(d);
    }
  }
  for (let pass = 0; pass < 2; pass++) {
    const H = fitHomography(grid, px);
    const Hinv = fitHomography(px, grid);
    grid = [];
    px = [];
    for (const d of dots) {
      const [i, j] = applyH(Hinv, d[0], d[1]);
      const gi = Math.round(i);
      const gj = Math.round(j);
      const [ex, ey] = applyH(H, gi, gj);
      if (Math.hypot(ex - d[0], ey - d[1]) < 0.25 * pitchPxGuess) {
        grid.push([gi, gj]);
        px.push(d);
      }
    }
  }
  return { grid, px };
}

/**
 * Measure the dot grid: radial distortion k1, then the plane pose from the homography of the undistorted dot centres, the scale (µm/px at
 * the image centre) and the residuals. Needs no nominal scale: the dot size and pitch are found in the image.
 */
export function measureDotGrid(k: Intrinsics, image: FloatImage, pitchMm: number): DotGridResult {
  // Blocks for the local background: a first pass with a generous block finds the dots and their pitch.
  const first = findDots(image, Math.max(image.width, image.height) / 24);
  const pitchPx = medianNeighbourPx(first.dots);
  if (!(pitchPx > 2)) throw createError('GB_VISION_FAILED', `dot grid: found ${first.dots.length} dots without a regular pitch; is the dot grid on the tray and lit?`);
  const { dots } = findDots(image, 3 * pitchPx);
  const { grid, px } = assignGrid(dots, image.width, image.height, pitchPx);
  // Pattern coordinates in mm with y up (image rows go down, so grid row j is −y).
  const pattern = grid.map(([i, j]) => [i * pitchMm, -j * pitchMm] as [number, number]);
  const fit = fitRadialK1(k, pattern, px);
  // Always applied: on an undistorted lens the fit lands near 0 (|k1| ~ 4e-4 in the simulator, 0.01 px at
  // the corners), so using it costs nothing, while a real k1 of −0.05 moves LED positions by ~1 mm.
  const k1 = fit.k1;
  const undistorted = undistortPixels(k, px, k1);
  const H = fitHomography(pattern, undistorted);
  const residuals = pattern.map((p, n) => {
    const [x, y] = applyH(H, p[0], p[1]);
    return Math.hypot(x - undistorted[n][0], y - undistorted[n][1]);
  });
  const plane = planeFromHomography(k, H);
  const kd = withRadialDistortion(k, k1);
  const cx = image.width / 2;
  const cy = image.height / 2;
  const p0 = intersectPixel(kd, plane, cx - 0.5, cy);
  const p1 = intersectPixel(kd, plane, cx + 0.5, cy);
  const umPerPx = 1000 * Math.hypot(p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]);
  return {
    plane,
    umPerPx,
    dots: grid.length,
    radialK1: k1,
    rmsBeforeDistortionPx: fit.rmsBeforePx,
    rmsResidualPx: Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / residuals.length),
    maxResidualPx: Math.max(...residuals),
    tiltDeg: (Math.acos(Math.min(1, Math.abs(plane.normal[2]))) * 180) / Math.PI,
  };
}
