import t from 'tap';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 300, 410);
const config = await loadSceneConfig();

t.test('noise of a flat region matches shot + read noise and quantisation', async (t) => {
  const { scene } = buildScene({ kind: 'white', seed: 1, geometry, config });
  const r = new SceneRenderer({ geometry, threads: 2 });
  await r.start();
  t.teardown(() => r.stop());
  r.setScene(scene);
  const gt = await r.groundTruth();
  const levels = Array.from({ length: 24 }, (_, k) => (k === 20 ? 4095 : 0));
  const s = r.sensor;
  const kDnPerE = (s.adcMax - s.blackLevelDn) / s.fullWellE;
  for (const [exposureUs, gain] of [[3000, 1], [8000, 1], [2000, 4]] as const) {
    const a = await r.expose({ levels, exposureUs, gain, seed: 1 });
    const b = await r.expose({ levels, exposureUs, gain, seed: 2 });
    const clean = await r.expose({ levels, exposureUs, gain, seed: 0, noise: false });
    // The difference of two frames cancels the shading; its variance is twice the per-pixel noise.
    let n = 0;
    let sumD2 = 0;
    let predicted = 0;
    let meanErr = 0;
    for (let i = 0; i < a.length; i++) {
      if (gt.cover[i] !== 255 || clean[i] >= s.adcMax - 50) continue;
      const d = a[i] - b[i];
      sumD2 += d * d;
      const electrons = (clean[i] - s.blackLevelDn) / (kDnPerE * gain);
      predicted += (kDnPerE * gain) ** 2 * (electrons + s.readNoiseE ** 2) + 1 / 12;
      meanErr += a[i] - clean[i];
      n++;
    }
    const measured = sumD2 / n / 2;
    const expected = predicted / n;
    t.ok(n > 10000, `${n} flat pixels`);
    t.ok(Math.abs(measured / expected - 1) < 0.08, `exposure ${exposureUs} µs gain ${gain}: noise variance ${measured.toFixed(2)} DN² vs model ${expected.toFixed(2)} DN²`);
    t.ok(Math.abs(meanErr / n) < 4 * Math.sqrt(expected / n), `noise is zero-mean (${(meanErr / n).toFixed(3)} DN, 4σ = ${(4 * Math.sqrt(expected / n)).toFixed(3)})`);
  }
  const dark = await r.expose({ levels: new Array(24).fill(0), exposureUs: 10000, seed: 3 });
  let sum = 0;
  let sum2 = 0;
  for (const v of dark) {
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / dark.length;
  const std = Math.sqrt(sum2 / dark.length - mean * mean);
  t.ok(Math.abs(mean - s.blackLevelDn) < 0.05, `dark frame sits at the black level (${mean.toFixed(2)} DN)`);
  const readDn = Math.sqrt((s.readNoiseE * kDnPerE) ** 2 + 1 / 12);
  t.ok(Math.abs(std / readDn - 1) < 0.1, `dark noise ${std.toFixed(3)} DN = read noise ${readDn.toFixed(3)} DN`);
  t.ok(dark.every((v) => v <= s.adcMax), '12-bit codes');
});

t.test('rendering is linear in LED levels and exposure', async (t) => {
  const { scene } = buildScene({ kind: 'card', seed: 4, geometry, config });
  const r = new SceneRenderer({ geometry, threads: 0 });
  r.setScene(scene);
  const one = Array.from({ length: 24 }, (_, k) => (k === 3 ? 2000 : k === 12 ? 1000 : 0));
  const sum = await r.expose({ levels: one, exposureUs: 4000, seed: 0, noise: false });
  const a = await r.expose({ levels: one.map((v, k) => (k === 3 ? v : 0)), exposureUs: 4000, seed: 0, noise: false });
  const b = await r.expose({ levels: one.map((v, k) => (k === 12 ? v : 0)), exposureUs: 4000, seed: 0, noise: false });
  const black = r.sensor.blackLevelDn;
  let worst = 0;
  for (let i = 0; i < sum.length; i++) if (sum[i] < 4000) worst = Math.max(worst, Math.abs(sum[i] - black - (a[i] - black) - (b[i] - black)));
  t.ok(worst <= 1, `sum of LEDs = sum of frames within rounding (worst ${worst} DN)`);
  const half = await r.expose({ levels: one, exposureUs: 2000, seed: 0, noise: false });
  let worst2 = 0;
  for (let i = 0; i < sum.length; i++) if (sum[i] < 4000) worst2 = Math.max(worst2, Math.abs((half[i] - black) * 2 - (sum[i] - black)));
  t.ok(worst2 <= 2, `half the exposure = half the signal (worst ${worst2} DN)`);
});
