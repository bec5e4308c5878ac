import t from 'tap';
import { resampleSideMaps, resampleSideMapsAsync } from '../../../src/grading/surface/resample.ts';
import { loadVisionNative } from '../../../src/vision/native.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';

// The row-pass resampling must give what the per-pixel definition gives (each output pixel's footprint
// summed rows then columns in float64, normals renormalised, the mask the footprint's majority): the
// reference below is the implementation it replaced, kept here verbatim as the definition.
function reference(maps: CardSideMaps, umPerPx: number): CardSideMaps {
  const f = umPerPx / maps.umPerPx;
  const w = Math.max(1, Math.round(maps.widthPx / f));
  const h = Math.max(1, Math.round(maps.heightPx / f));
  const sw = maps.widthPx, sh = maps.heightPx;
  const normals = new Float32Array(3 * w * h);
  const albedo = new Float32Array(w * h);
  const reliefUm = new Float32Array(w * h);
  const mask = new Uint8Array(w * h);
  const confidence = new Float32Array(w * h);
  const fx = sw / w, fy = sh / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * w + x;
      let n = 0, on = 0, nx = 0, ny = 0, nz = 0, a = 0, r = 0, c = 0;
      const add = (i: number, wt: number): void => {
        n += wt;
        if (maps.mask[i]) on += wt;
        nx += wt * maps.normals[3 * i]; ny += wt * maps.normals[3 * i + 1]; nz += wt * maps.normals[3 * i + 2];
        a += wt * maps.albedo[i]; r += wt * maps.reliefUm[i];
        c += wt * maps.confidence![i];
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
      confidence[o] = c / n;
      mask[o] = on * 2 >= n ? 1 : 0;
    }
  }
  return { side: maps.side, widthPx: w, heightPx: h, umPerPx, mask, normals, albedo, reliefUm, confidence };
}

/** Random maps: tilted unit normals, albedo and relief noise, a mask with a ragged edge. */
function randomMaps(w: number, h: number, umPerPx: number, seed: number): CardSideMaps {
  let s = seed;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296; };
  const n = w * h;
  const maps: CardSideMaps = { side: 'back', widthPx: w, heightPx: h, umPerPx, mask: new Uint8Array(n), normals: new Float32Array(3 * n), albedo: new Float32Array(n), reliefUm: new Float32Array(n), confidence: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const x = i % w, y = Math.floor(i / w);
    maps.mask[i] = x > 3 + 3 * rnd() && y > 2 + 3 * rnd() && x < w - 4 ? 1 : 0;
    const nx = 0.3 * (rnd() - 0.5), ny = 0.3 * (rnd() - 0.5), len = Math.hypot(nx, ny, 1);
    maps.normals[3 * i] = nx / len; maps.normals[3 * i + 1] = ny / len; maps.normals[3 * i + 2] = 1 / len;
    maps.albedo[i] = 0.2 + 0.6 * rnd();
    maps.reliefUm[i] = 40 * (rnd() - 0.5);
    maps.confidence![i] = rnd();
  }
  return maps;
}

t.test('resampling equals the per-pixel definition exactly, coarser and finer', async (t) => {
  const src = randomMaps(217, 163, 25, 7);
  // 60/25 = 2.4 (footprints of 2 and 3 px, the model's case), an integer 3, just coarser, and finer.
  for (const um of [60, 75, 27.5, 10]) {
    const got = resampleSideMaps(src, um), want = reference(src, um);
    t.same([got.widthPx, got.heightPx, got.umPerPx, got.side], [want.widthPx, want.heightPx, want.umPerPx, want.side], `${um} µm/px: size`);
    for (const k of ['mask', 'normals', 'albedo', 'reliefUm', 'confidence'] as const) {
      let diff = 0;
      for (let i = 0; i < want[k]!.length; i++) if (got[k]![i] !== want[k]![i]) diff++;
      t.equal(diff, 0, `${um} µm/px: ${k} identical (${want[k]!.length} values)`);
    }
  }
  t.equal(resampleSideMaps(src, 25), src, 'same scale: the maps themselves');
});

t.test('off the event loop: the TypeScript slices and the native kernel give what resampleSideMaps gives', async (t) => {
  const src = randomMaps(301, 233, 25, 11);
  const withoutConfidence: CardSideMaps = { ...src, confidence: undefined };
  const native = await loadVisionNative();
  if (!native?.resampleArea) t.comment('native/vision not built with resampleArea: only the TypeScript path is compared');
  for (const maps of [src, withoutConfidence]) {
    for (const um of [60, 75, 27.5]) {
      const want = resampleSideMaps(maps, um);
      for (const backend of native?.resampleArea ? (['ts', 'native'] as const) : (['ts'] as const)) {
        const got = await resampleSideMapsAsync(maps, um, { backend });
        const label = `${backend}, ${um} µm/px${maps.confidence ? '' : ', no confidence'}`;
        t.same([got.widthPx, got.heightPx, got.umPerPx, got.confidence === undefined], [want.widthPx, want.heightPx, want.umPerPx, want.confidence === undefined], `${label}: size`);
        for (const k of ['mask', 'albedo', 'reliefUm', 'confidence'] as const) {
          const a = got[k], b = want[k];
          if (!a || !b) continue;
          let diff = 0;
          for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) diff++;
          t.equal(diff, 0, `${label}: ${k} identical`);
        }
        // Normals: C renormalises with sqrt, TypeScript with Math.hypot (either may round the last bit differently).
        let worst = 0;
        for (let i = 0; i < want.normals.length; i++) worst = Math.max(worst, Math.abs(got.normals[i] - want.normals[i]));
        t.ok(worst <= 1.2e-7, `${label}: normals within a float's last bit (worst ${worst})`);
      }
    }
  }
  t.equal(await resampleSideMapsAsync(src, 25), src, 'same scale: the maps themselves');
  const finer = await resampleSideMapsAsync(src, 10);
  t.same(finer.albedo, resampleSideMaps(src, 10).albedo, 'finer: bilinear, as resampleSideMaps');
});
