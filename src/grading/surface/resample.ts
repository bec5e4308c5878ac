import type { CardSideMaps } from '../types.ts';

/**
 * The side's maps at another scale (µm per px), for a model trained at one scale. Coarser: each output
 * pixel averages the source pixels in its footprint (area average, so thin scratches fade instead of
 * aliasing away); finer: bilinear. Normals are renormalised; the mask is the majority of the footprint.
 */
export function resampleSideMaps(maps: CardSideMaps, umPerPx: number): CardSideMaps {
  if (Math.abs(maps.umPerPx - umPerPx) < 1e-6 * umPerPx) return maps;
  const f = umPerPx / maps.umPerPx;
  const w = Math.max(1, Math.round(maps.widthPx / f));
  const h = Math.max(1, Math.round(maps.heightPx / f));
  const sw = maps.widthPx, sh = maps.heightPx;
  const normals = new Float32Array(3 * w * h);
  const albedo = new Float32Array(w * h);
  const reliefUm = new Float32Array(w * h);
  const mask = new Uint8Array(w * h);
  const fx = sw / w, fy = sh / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * w + x;
      let n = 0, on = 0, nx = 0, ny = 0, nz = 0, a = 0, r = 0;
      const add = (i: number, wt: number): void => {
        n += wt;
        if (maps.mask[i]) on += wt;
        nx += wt * maps.normals[3 * i]; ny += wt * maps.normals[3 * i + 1]; nz += wt * maps.normals[3 * i + 2];
        a += wt * maps.albedo[i]; r += wt * maps.reliefUm[i];
      };
      if (f >= 1) {
        const x0 = Math.floor(x * fx), x1 = Math.max(x0 + 1, Math.min(sw, Math.floor((x + 1) * fx)));
        const y0 = Math.floor(y * fy), y1 = Math.max(y0 + 1, Math.min(sh, Math.floor((y + 1) * fy)));
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) add(yy * sw + xx, 1);
      } else {
        const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5)), sy = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5));
        const ix = Math.min(sw - 2, Math.floor(sx)), iy = Math.min(sh - 2, Math.floor(sy));
        const tx = sx - ix, ty = sy - iy;
        add(iy * sw + ix, (1 - tx) * (1 - ty)); add(iy * sw + ix + 1, tx * (1 - ty));
        add((iy + 1) * sw + ix, (1 - tx) * ty); add((iy + 1) * sw + ix + 1, tx * ty);
      }
      const len = Math.hypot(nx, ny, nz) || 1;
      normals[3 * o] = nx / len; normals[3 * o + 1] = ny / len; normals[3 * o + 2] = nz / len;
      albedo[o] = a / n;
      reliefUm[o] = r / n;
      mask[o] = on * 2 >= n ? 1 : 0;
    }
  }
  return { side: maps.side, widthPx: w, heightPx: h, umPerPx, mask, normals, albedo, reliefUm };
}
