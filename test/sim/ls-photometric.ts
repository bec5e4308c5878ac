// An independent least-squares photometric solve for the simulator's quality tests. Deliberately NOT the
// project's src/vision code: it reads the exported folder like any outside tool would.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPng } from '../../src/imaging/png.ts';

export interface LsScore {
  pixelsScored: number;
  medianErrorDeg: number;
  meanErrorDeg: number;
  p90ErrorDeg: number;
}

function solve3(a: number[], b: number[]): [number, number, number] {
  // Cramer's rule on a symmetric 3×3 system (row-major a).
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a;
  const det = a0 * (a4 * a8 - a5 * a7) - a1 * (a3 * a8 - a5 * a6) + a2 * (a3 * a7 - a4 * a6);
  const x = (b[0] * (a4 * a8 - a5 * a7) - a1 * (b[1] * a8 - a5 * b[2]) + a2 * (b[1] * a7 - a4 * b[2])) / det;
  const y = (a0 * (b[1] * a8 - a5 * b[2]) - b[0] * (a3 * a8 - a5 * a6) + a2 * (a3 * b[2] - b[1] * a6)) / det;
  const z = (a0 * (a4 * b[2] - b[1] * a7) - a1 * (a3 * b[2] - b[1] * a6) + b[0] * (a3 * a7 - a4 * a6)) / det;
  return [x, y, z];
}

/**
 * Average images and ground truth over non-overlapping 5×5 blocks, keep blocks fully inside the mask that
 * are lit by every light (ground-truth n·l > 0.05) and unsaturated in every image, solve I = ρ n·L per
 * block by least squares with the folder's own light directions and intensities, and score the angle to
 * the averaged ground-truth normal.
 */
export async function scoreFolderLs(dir: string, block = 5): Promise<LsScore> {
  const names = (await readFile(join(dir, 'filenames.txt'), 'utf8')).split('\n').filter((s) => s.trim() !== '');
  const dirs = (await readFile(join(dir, 'light_directions.txt'), 'utf8')).split('\n').filter((s) => s.trim() !== '').map((l) => l.trim().split(/\s+/).map(Number));
  const ints = (await readFile(join(dir, 'light_intensities.txt'), 'utf8')).split('\n').filter((s) => s.trim() !== '').map((l) => Number(l.trim().split(/\s+/)[0]));
  const L = dirs.map((d, k) => d.map((x) => x * ints[k]));
  const images = await Promise.all(names.map((n) => readPng(join(dir, n))));
  const mask = await readPng(join(dir, 'mask.png'));
  const gt = await readPng(join(dir, 'normal_gt.png'));
  const { width: w, height: h } = mask;
  const ata = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const l of L) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) ata[r * 3 + c] += l[r] * l[c];
  const errors: number[] = [];
  const vals = new Float64Array(L.length);
  for (let by = 0; by + block <= h; by += block) {
    for (let bx = 0; bx + block <= w; bx += block) {
      let ok = true;
      const n = [0, 0, 0];
      vals.fill(0);
      for (let y = by; y < by + block && ok; y++) {
        for (let x = bx; x < bx + block; x++) {
          const i = y * w + x;
          if (mask.data[i] === 0) { ok = false; break; }
          const g = [0, 1, 2].map((c) => (gt.data[i * 3 + c] / 65535) * 2 - 1);
          for (let c = 0; c < 3; c++) n[c] += g[c];
          for (let k = 0; k < L.length; k++) {
            const v = images[k].data[i];
            if (v >= 65535) ok = false;
            vals[k] += v;
          }
        }
      }
      if (!ok) continue;
      const nl = Math.hypot(n[0], n[1], n[2]);
      const nn = n.map((x) => x / nl);
      if (L.some((l) => (l[0] * nn[0] + l[1] * nn[1] + l[2] * nn[2]) / Math.hypot(l[0], l[1], l[2]) <= 0.05)) continue;
      const atb = [0, 0, 0];
      for (let k = 0; k < L.length; k++) for (let c = 0; c < 3; c++) atb[c] += L[k][c] * vals[k];
      const g = solve3(ata, atb);
      const gl = Math.hypot(...g);
      if (!(gl > 0)) continue;
      const dot = (g[0] * nn[0] + g[1] * nn[1] + g[2] * nn[2]) / gl;
      errors.push((Math.acos(Math.min(1, Math.max(-1, dot))) * 180) / Math.PI);
    }
  }
  errors.sort((a, b) => a - b);
  const pick = (q: number): number => errors[Math.min(errors.length - 1, Math.floor(q * errors.length))];
  return {
    pixelsScored: errors.length,
    medianErrorDeg: pick(0.5),
    meanErrorDeg: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length),
    p90ErrorDeg: pick(0.9),
  };
}
