import { surfaceModelClasses } from '../../../src/grading/surface/classes.ts';
import type { ProbabilityMap } from '../../../src/grading/surface/postprocess.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';

// A network's probability map drawn by hand, for the post-processing steps that read one (the scratches
// hidden in another defect's component, following a scratch): a 40 × 60 mm side at 60 µm/px, flat and
// plain, with bands of one class painted on it.

export const um = 60, W = Math.round(40000 / um), H = Math.round(60000 / um), n = W * H;
export const K = surfaceModelClasses.length;

/** A flat, plain side whose card fills the map. */
export function sceneMaps(): CardSideMaps {
  const normals = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) normals[3 * i + 2] = 1;
  return { side: 'front', widthPx: W, heightPx: H, umPerPx: um, mask: new Uint8Array(n).fill(1), normals, albedo: new Float32Array(n).fill(0.5), reliefUm: new Float32Array(n), confidence: new Float32Array(n).fill(0.95) };
}

/** A map of background at `background` (the rest shared by the defect classes). */
export function sceneProbabilities(background = 1): ProbabilityMap {
  const p: ProbabilityMap = { classes: K, width: W, height: H, umPerPx: um, data: new Float32Array(K * n) };
  p.data.fill(background, 0, n);
  for (let k = 1; k < K; k++) p.data.fill((1 - background) / (K - 1), k * n, (k + 1) * n);
  return p;
}

/**
 * `cls` at probability `prob` (0.01 for the other defect classes, the rest background) along a band:
 * centre (card mm, y up), angle, length, width. With `relief`, a groove of `depthUm` across the band is
 * pressed into those maps' relief too.
 */
export function paint(p: ProbabilityMap, cls: number, c: [number, number], angleDeg: number, lengthMm: number, widthMm: number, prob = 0.95, relief?: { maps: CardSideMaps; depthUm: number }): void {
  const th = (angleDeg * Math.PI) / 180, ux = Math.cos(th), uy = Math.sin(th);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = ((x + 0.5 - W / 2) * um) / 1000 - c[0], v = ((H / 2 - y - 0.5) * um) / 1000 - c[1];
      const al = u * ux + v * uy, ac = -u * uy + v * ux;
      if (Math.abs(al) > lengthMm / 2 || Math.abs(ac) > widthMm / 2) continue;
      const i = y * W + x;
      for (let k = 1; k < K; k++) p.data[k * n + i] = 0.01;
      p.data[cls * n + i] = prob;
      p.data[i] = 1 - prob - 0.01 * (K - 2);
      if (relief) relief.maps.reliefUm[i] = Math.min(relief.maps.reliefUm[i], -relief.depthUm * (1 - (2 * Math.abs(ac)) / widthMm));
    }
  }
}
