import t from 'tap';
import { integrateNormals } from '../../src/vision/integrate.ts';
import { removeWarp } from '../../src/vision/warp.ts';
import { loadVisionNative } from '../../src/vision/native.ts';
import { ballScene, heightScene } from './scenes.ts';

const backends = async (): Promise<('ts' | 'native')[]> => ((await loadVisionNative()) ? ['ts', 'native'] : ['ts']);

/** RMS of (estimate − truth) over the mask after removing the mean offset, and the truth's range. */
function heightError(est: Float32Array, truth: Float32Array, mask: Uint8Array): { rms: number; range: number } {
  let se = 0, st = 0, c = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < mask.length; i++) if (mask[i]) { se += est[i]; st += truth[i]; c++; lo = Math.min(lo, truth[i]); hi = Math.max(hi, truth[i]); }
  const off = (se - st) / c;
  let s2 = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s2 += (est[i] - truth[i] - off) ** 2;
  return { rms: Math.sqrt(s2 / c), range: hi - lo };
}

t.test('exact normals of a spherical cap on a disc mask: RMS ≤ 0.5% of the height range', async (t) => {
  const s = ballScene(260, 220, 160, 0.85);
  for (const backend of await backends()) {
    const r = await integrateNormals(s.normals, 260, 220, { mask: s.mask, backend });
    const e = heightError(r.heightPx, s.heightPx, s.mask);
    t.comment(`${backend}: ${r.iterations} PCG iterations, RMS ${e.rms.toFixed(4)} px of range ${e.range.toFixed(1)} px (${((100 * e.rms) / e.range).toFixed(4)}%)`);
    t.ok(e.rms <= 0.005 * e.range, 'RMS ≤ 0.5% of range');
    t.equal(r.heightPx[0], 0, 'zero outside the mask');
  }
});

t.test('masked, not zero-filled: an L-shaped mask with a steep outside region', async (t) => {
  // Outside the mask the normals are garbage (steep); a zero-filled rectangle would leak them in.
  const W = 120, H = 100;
  const f = (x: number, y: number): number => 0.002 * (x - 40) ** 2 + 0.05 * y;
  const inside = (x: number, y: number): boolean => x < 70 || y > 60;
  const s = heightScene(W, H, (x, y) => (x > 69.5 && y < 60.5 ? 30 * Math.sin(x) : f(x, y)), inside);
  for (const backend of await backends()) {
    const r = await integrateNormals(s.normals, W, H, { mask: s.mask, backend });
    const e = heightError(r.heightPx, s.heightPx, s.mask);
    t.ok(e.rms <= 0.005 * e.range, `${backend}: RMS ${e.rms.toFixed(4)} ≤ 0.5% of ${e.range.toFixed(1)}`);
  }
});

t.test('card with a bow and a dent: warp removed, dent depth within 10% or 5 µm', async (t) => {
  // 63.5 × 88.9 mm card at 100 µm/px with rounded corners (3 mm), a 0.6 mm bow and a 40 µm dent.
  const umPerPx = 100;
  const W = 635, H = 889;
  const dentUm = 40;
  const dentX = 200, dentY = 300, sigmaPx = 12;
  const r = 30;
  const inside = (x: number, y: number): boolean => {
    const cx = Math.min(Math.max(x, r), W - 1 - r);
    const cy = Math.min(Math.max(y, r), H - 1 - r);
    return Math.hypot(x - cx, y - cy) <= r;
  };
  const bowPx = 600 / umPerPx;
  const f = (x: number, y: number): number =>
    bowPx * (1 - ((2 * x) / W - 1) ** 2) * 0.7 + 0.3 * bowPx * ((2 * y) / H - 1) ** 2 -
    (dentUm / umPerPx) * Math.exp(-((x - dentX) ** 2 + (y - dentY) ** 2) / (2 * sigmaPx ** 2));
  const s = heightScene(W, H, f, inside);
  const res = await integrateNormals(s.normals, W, H, { mask: s.mask });
  const fit = removeWarp(res.heightPx, W, H, s.mask, 2);
  // Dent depth: ring around the dent minus its centre, in µm.
  let ring = 0, n = 0;
  for (let a = 0; a < 64; a++) {
    const x = Math.round(dentX + 5 * sigmaPx * Math.cos((a * Math.PI) / 32));
    const y = Math.round(dentY + 5 * sigmaPx * Math.sin((a * Math.PI) / 32));
    ring += res.heightPx[y * W + x];
    n++;
  }
  const depthUm = (ring / n - res.heightPx[dentY * W + dentX]) * umPerPx;
  t.comment(`dent depth ${depthUm.toFixed(2)} µm (true ${dentUm} µm); warp residual RMS ${(fit.residualRms * umPerPx).toFixed(2)} µm`);
  t.ok(Math.abs(depthUm - dentUm) <= Math.max(0.1 * dentUm, 5), 'dent depth within 10% or 5 µm');
  // The bow is gone: far from the dent the card is flat to a few µm.
  let worst = 0;
  for (let y = 40; y < H - 40; y += 7) for (let x = 40; x < W - 40; x += 7) {
    if (Math.hypot(x - dentX, y - dentY) < 6 * sigmaPx) continue;
    worst = Math.max(worst, Math.abs(res.heightPx[y * W + x]) * umPerPx);
  }
  t.ok(worst < 5, `flat after warp removal away from the dent (worst ${worst.toFixed(2)} µm)`);
});

t.test('bad input', async (t) => {
  await t.rejects(integrateNormals(new Float32Array(10), 2, 2), { code: 'GB_IMAGE_INVALID' });
  await t.rejects(integrateNormals(new Float32Array(12), 2, 2, { mask: new Uint8Array(3) }), { code: 'GB_IMAGE_INVALID' });
});
