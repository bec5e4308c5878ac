import t, { type Test } from 'tap';
import { surfaceFeatureChannels, surfaceFeatures, surfaceFeaturesAsync } from '../../../src/grading/surface/features.ts';
import { loadVisionNative } from '../../../src/vision/native.ts';
import type { CardSideMaps } from '../../../src/grading/types.ts';
import { syntheticMaps } from '../synthetic-maps.ts';

// The surface model was trained on features written through the TypeScript surfaceFeatures (the training
// maps quantise them to 1/4096), so the native kernel must give the same values: within 1e-5 per value,
// on a card with rounded corners and bites (mask edges), a bow, a dent, a scratch, a stain, print noise and a
// foil patch of low PS confidence, at scales whose window radii differ, and on a strip narrower than the window.

/** Card maps with a surface: synthetic outline and print, relief (bow, dent, scratch, noise) and its normals. */
function cardWithSurface(umPerPx: number, seed: number, widthMm = 63.5, heightMm = 88.9, marginMm = 1.5): CardSideMaps {
  const k = Math.min(1, widthMm / 20);
  const maps = syntheticMaps({ umPerPx, marginMm, widthMm, heightMm, seed, radiiMm: [3.2 * k, 0.8 * k, 3.2 * k, 2 * k], bites: [{ xMm: widthMm / 2, yMm: Math.min(10, heightMm / 4), rMm: 1.2 * k }] });
  const { widthPx: w, heightPx: h } = maps;
  const mm = umPerPx / 1000;
  let s = seed * 7919;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296; };
  const relief = maps.reliefUm;
  const cx = w / 2, cy = h / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = (x - cx) * mm, v = (y - cy) * mm;
      let z = 60 * (1 - (u * u + v * v) / (45 * 45)); // bow, µm
      z -= 35 * Math.exp(-((u - 10) ** 2 + (v + 20) ** 2) / (2 * 1.5 ** 2)); // dent
      if (Math.abs(v - 0.3 * u - 15) < 0.12 && Math.abs(u) < 20) z -= 8; // scratch
      z += 1.5 * (rnd() - 0.5); // noise
      relief[i] = maps.mask[i] ? z : 0;
      if (Math.hypot(u + 12, v - 5) < 3) maps.albedo[i] *= 0.6; // stain
      // Foil: a patch where the Lambertian fit is poor; the rest near 1 with noise.
      maps.confidence![i] = Math.abs(u + 5) < 8 && Math.abs(v - 25) < 6 ? 0.2 + 0.5 * rnd() : Math.min(1, 0.92 + 0.1 * rnd());
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const gx = (relief[y * w + Math.min(w - 1, x + 1)] - relief[y * w + Math.max(0, x - 1)]) / (2 * umPerPx);
      const gy = -(relief[Math.min(h - 1, y + 1) * w + x] - relief[Math.max(0, y - 1) * w + x]) / (2 * umPerPx);
      const len = Math.hypot(gx, gy, 1);
      maps.normals[3 * i] = -gx / len; maps.normals[3 * i + 1] = -gy / len; maps.normals[3 * i + 2] = 1 / len;
    }
  }
  // A steep normal (nz below the features' 0.2 floor) and an albedo of 0 (below the log's floor) on the card.
  const j = Math.floor(h / 3) * w + Math.floor(w / 3);
  maps.normals[3 * j] = 0.99; maps.normals[3 * j + 1] = 0; maps.normals[3 * j + 2] = 0.141;
  maps.albedo[j + 1] = 0;
  maps.confidence![j + 2] = 1.3; // above 1: the misfit clamps at 0
  return maps;
}

function compare(t: Test, got: Float32Array, want: Float32Array, w: number, h: number, label: string): void {
  t.equal(got.length, want.length, `${label}: ${surfaceFeatureChannels} planes`);
  const n = w * h;
  for (let c = 0; c < surfaceFeatureChannels; c++) {
    let worst = 0, differ = 0;
    for (let i = 0; i < n; i++) {
      const a = got[c * n + i], b = want[c * n + i];
      const d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Math.abs(a - b);
      if (!(d <= worst)) worst = d; // NaN would show
      if (d !== 0) differ++;
    }
    t.ok(worst <= 1e-5, `${label}: channel ${c} within 1e-5 (worst ${worst}, ${differ} of ${n} not identical)`);
  }
}

t.test('native surface features equal the TypeScript ones', async (t) => {
  const native = await loadVisionNative();
  if (!native?.surfaceFeatures) {
    t.comment('native/vision not built with surfaceFeatures: only the TypeScript fallback is compared');
  }
  const backends = native?.surfaceFeatures ? (['native', 'ts'] as const) : (['ts'] as const);
  // 60 µm/px: radii 50 and 67 px (the model's scale); 100 µm/px: 30 and 40; 250 µm/px: 12 and 16.
  for (const [umPerPx, seed] of [[60, 3], [100, 5], [250, 9]] as const) {
    const maps = cardWithSurface(umPerPx, seed);
    const want = surfaceFeatures(maps);
    for (const backend of backends) compare(t, await surfaceFeaturesAsync(maps, { backend }), want, maps.widthPx, maps.heightPx, `${backend}, ${umPerPx} µm/px`);
  }
  // A strip 3 × 2 mm with 0.5 mm around it at 60 µm/px: narrower and shorter than every window (101 px and more).
  const strip = cardWithSurface(60, 13, 3, 2, 0.5);
  t.ok(strip.widthPx < 2 * 50 + 1 && strip.heightPx < 2 * 50 + 1, `strip ${strip.widthPx}×${strip.heightPx} px is inside one window`);
  for (const backend of backends) compare(t, await surfaceFeaturesAsync(strip, { backend }), surfaceFeatures(strip), strip.widthPx, strip.heightPx, `${backend}, strip`);
  // Readings that are not numbers or infinite (a broken reconstruction): NaN and ±∞ spread through the
  // windows that hold them alike on both paths (libm's log and asinh answer those in the kernel).
  const broken = cardWithSurface(250, 21);
  const bw = broken.widthPx, mid = Math.floor(broken.heightPx / 2) * bw + Math.floor(bw / 2);
  broken.reliefUm[mid] = NaN; broken.reliefUm[mid + 5 * bw] = Infinity; broken.reliefUm[mid + 40 * bw] = -3e38;
  broken.albedo[mid + 20] = NaN; broken.albedo[mid + 40] = Infinity; broken.albedo[mid - 30] = -1;
  broken.normals[3 * (mid - 60 * bw)] = NaN; broken.normals[3 * (mid + 60 * bw) + 2] = NaN; broken.normals[3 * (mid + 70 * bw) + 2] = -Infinity;
  broken.confidence![mid + 3] = NaN;
  const brokenWant = surfaceFeatures(broken), bn = bw * broken.heightPx;
  const nanIn = (c: number): number => brokenWant.subarray(c * bn, (c + 1) * bn).filter((v) => Number.isNaN(v)).length;
  t.ok(nanIn(0) > 0 && nanIn(1) > 0 && nanIn(2) > 0 && nanIn(3) > 0 && nanIn(4) === 1, `NaN features to compare: ${[0, 1, 2, 3, 4].map(nanIn)}`);
  for (const backend of backends) compare(t, await surfaceFeaturesAsync(broken, { backend }), brokenWant, bw, broken.heightPx, `${backend}, NaN and ∞ readings`);
  // A single pixel, and a side with no card at all (every plane 0).
  const one: CardSideMaps = { side: 'front', widthPx: 1, heightPx: 1, umPerPx: 60, mask: Uint8Array.of(1), normals: Float32Array.of(0.1, -0.2, 0.97), albedo: Float32Array.of(0.5), reliefUm: Float32Array.of(3), confidence: Float32Array.of(0.4) };
  const none: CardSideMaps = { ...one, widthPx: 3, heightPx: 2, mask: new Uint8Array(6), normals: new Float32Array(18).fill(0.5), albedo: new Float32Array(6).fill(0.3), reliefUm: new Float32Array(6).fill(7), confidence: new Float32Array(6).fill(0.5) };
  for (const m of [one, none]) for (const backend of backends) t.same(await surfaceFeaturesAsync(m, { backend }), surfaceFeatures(m), `${backend}, ${m.widthPx}×${m.heightPx}: identical`);
  if (!native?.surfaceFeatures) await t.rejects(surfaceFeaturesAsync(one, { backend: 'native' }), { code: 'GB_VISION_FAILED' }, 'native forced without the addon: an error');
});

t.test('maps without the PS confidence: a GB_VALIDATION error, on every path', async (t) => {
  const maps: CardSideMaps = { ...cardWithSurface(250, 2), confidence: undefined };
  t.throws(() => surfaceFeatures(maps), { code: 'GB_VALIDATION' });
  await t.rejects(surfaceFeaturesAsync(maps), { code: 'GB_VALIDATION' });
  await t.rejects(surfaceFeaturesAsync(maps, { backend: 'ts' }), { code: 'GB_VALIDATION' });
});
