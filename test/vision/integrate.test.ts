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

t.test('full rectangle at a size with a large prime factor (DCT pads to 2·3·5·7 sizes): RMS ≤ 0.5%', async (t) => {
  // 254 = 2·127, 178 = 2·89: the DCT runs on a padded rectangle with the slopes continued outwards.
  const W = 254, H = 178;
  const s = heightScene(W, H, (x, y) => 0.0015 * (x - 100) ** 2 - 0.001 * (y - 60) ** 2 + 3 * Math.sin(x / 30) * Math.cos(y / 40), () => true);
  const native = await loadVisionNative();
  for (const backend of await backends()) {
    const r = await integrateNormals(s.normals, W, H, { backend });
    const e = heightError(r.heightPx, s.heightPx, s.mask);
    t.comment(`${backend} (${r.solver}): RMS ${e.rms.toFixed(4)} px of range ${e.range.toFixed(1)} px`);
    t.ok(e.rms <= 0.005 * e.range, `${backend}: RMS ≤ 0.5% of range`);
    if (backend === 'native' && native?.dct) t.equal(r.solver, 'dct', 'full mask: DCT alone');
    if (backend === 'ts') t.equal(r.solver, 'pcg');
  }
});

t.test('rounded card mask: DCT alone (native with FFTW) matches masked PCG', async (t) => {
  const W = 381, H = 533, r = 18;
  const inside = (x: number, y: number): boolean => {
    const cx = Math.min(Math.max(x, r), W - 1 - r);
    const cy = Math.min(Math.max(y, r), H - 1 - r);
    return Math.hypot(x - cx, y - cy) <= r;
  };
  const s = heightScene(W, H, (x, y) => 4 * (1 - ((2 * x) / W - 1) ** 2) - 0.3 * Math.exp(-((x - 300) ** 2 + (y - 40) ** 2) / 200), inside);
  const ts = await integrateNormals(s.normals, W, H, { mask: s.mask, backend: 'ts' });
  const native = await loadVisionNative();
  if (!native) {
    t.pass('native addon not built: only the TypeScript solver runs here');
    return;
  }
  const nat = await integrateNormals(s.normals, W, H, { mask: s.mask, backend: 'native' });
  t.equal(nat.solver, native.dct ? 'dct' : 'pcg');
  let worst = 0;
  for (let i = 0; i < s.mask.length; i++) if (s.mask[i]) worst = Math.max(worst, Math.abs(nat.heightPx[i] - ts.heightPx[i]));
  const e = heightError(nat.heightPx, s.heightPx, s.mask);
  t.comment(`${nat.solver}: worst difference to masked PCG ${worst.toFixed(4)} px; RMS vs truth ${e.rms.toFixed(4)} px of ${e.range.toFixed(2)}`);
  t.ok(worst < 0.01, 'within 0.01 px of masked PCG everywhere on the card');
  t.ok(e.rms <= 0.005 * e.range, 'RMS ≤ 0.5% of range');
});

t.test('bad input', async (t) => {
  await t.rejects(integrateNormals(new Float32Array(10), 2, 2), { code: 'GB_IMAGE_INVALID' });
  await t.rejects(integrateNormals(new Float32Array(12), 2, 2, { mask: new Uint8Array(3) }), { code: 'GB_IMAGE_INVALID' });
});
