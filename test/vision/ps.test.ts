import t from 'tap';
import { distantLights, nearFieldLights, selectLights } from '../../src/vision/lights.ts';
import { normalError, solvePhotometricStereo } from '../../src/vision/ps.ts';
import { loadVisionNative } from '../../src/vision/native.ts';
import { ballScene, heightScene, renderPlanes, ringLights } from './scenes.ts';

const backends = async (): Promise<('ts' | 'native')[]> => ((await loadVisionNative()) ? ['ts', 'native'] : ['ts']);

t.test('ball with Blinn-Phong highlights and attached shadows: robust clearly beats plain LS', async (t) => {
  const s = ballScene(160, 160, 72);
  const dirs = ringLights([25, 55], 8);
  const planes = renderPlanes(s, 16, (i) => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1], { specular: 0.6, shininess: 40, noise: 0.002 });
  const field = distantLights(160, 160, dirs);
  for (const backend of await backends()) {
    const ls = await solvePhotometricStereo(planes, field, { mask: s.mask, method: 'ls', backend });
    const rb = await solvePhotometricStereo(planes, field, { mask: s.mask, method: 'robust', backend });
    const eLs = normalError(ls.normals, s.normals, s.mask);
    const eRb = normalError(rb.normals, s.normals, s.mask);
    t.comment(`${backend}: LS mean ${eLs.meanDeg.toFixed(2)}° median ${eLs.medianDeg.toFixed(2)}°; robust mean ${eRb.meanDeg.toFixed(2)}° median ${eRb.medianDeg.toFixed(2)}°`);
    t.equal(rb.backend, backend);
    t.ok(eLs.meanDeg > 6, 'plain LS is hurt by highlights and shadows');
    t.ok(eRb.meanDeg < 3, `robust mean error < 3° (got ${eRb.meanDeg.toFixed(2)}°)`);
    t.ok(eRb.meanDeg < eLs.meanDeg / 2.5, 'robust at least 2.5× better than LS');
    t.ok(eRb.medianDeg < 1.2, 'robust median < 1.2°');
    // Confidence is lower where readings disagree (limb, highlight) than in the clean interior.
    const centre = 80 * 160 + 80;
    t.ok(rb.confidence[centre] > 0.5, 'confident at the centre');
    t.equal(rb.confidence[0], 0, 'zero confidence outside the mask');
    t.same(Array.from(rb.normals.slice(0, 3)), [0, 0, 1], 'outside the mask: n = (0,0,1)');
  }
});

t.test('TS and native kernels agree', async (t) => {
  const native = await loadVisionNative();
  if (!native) {
    t.comment('skipped: native vision addon not built (node native/vision/build.mjs)');
    return;
  }
  const s = ballScene(90, 70, 40);
  const dirs = ringLights([30, 60], 6);
  const planes = renderPlanes(s, 12, (i) => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1], { specular: 0.4, noise: 0.003 });
  const field = distantLights(90, 70, dirs);
  for (const method of ['ls', 'robust'] as const) {
    const a = await solvePhotometricStereo(planes, field, { method, backend: 'ts' });
    const b = await solvePhotometricStereo(planes, field, { method, backend: 'native' });
    let worst = 0;
    for (let i = 0; i < a.normals.length; i++) worst = Math.max(worst, Math.abs(a.normals[i] - b.normals[i]));
    t.ok(worst < 1e-3, `${method}: normals agree within 1e-3 (worst ${worst.toExponential(2)})`);
  }
});

t.test('near-field LEDs with inverse-square fall-off and flat-field gains: mean error ≤ 1° on a card', async (t) => {
  // A 63.5 × 88.9 mm card at 0.25 mm/px with a shallow bow and a dent; 16 LEDs at 200 mm.
  const umPerPx = 250;
  const W = 254;
  const H = 356;
  const pxMm = umPerPx / 1000;
  const f = (x: number, y: number): number =>
    4e-5 * (x - W / 2) ** 2 - 1.2 * Math.exp(-((x - 90) ** 2 + (y - 150) ** 2) / (2 * 6 ** 2));
  const s = heightScene(W, H, f);
  const leds: number[] = [];
  for (const [el, az0] of [[20, 0], [45, 22.5]]) {
    for (let k = 0; k < 8; k++) {
      const az = ((az0 + 45 * k) * Math.PI) / 180;
      const e = (el * Math.PI) / 180;
      leds.push(200 * Math.cos(e) * Math.cos(az), 200 * Math.cos(e) * Math.sin(az), 200 * Math.sin(e));
    }
  }
  const pointMm = (x: number, y: number): [number, number, number] => [(x - (W - 1) / 2) * pxMm, -(y - (H - 1) / 2) * pxMm, 0];
  // A smooth per-LED gain (beam fall-off across the card), as a coarse flat-field map.
  const gainAt = (i: number, x: number, y: number): number => 1 - 0.15 * ((x / W - 0.5) * Math.cos(i) + (y / H - 0.5) * Math.sin(i));
  const gainMaps = Array.from({ length: 16 }, (_, i) => {
    const gw = 16;
    const gh = 22;
    const data = new Float32Array(gw * gh);
    for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) data[y * gw + x] = gainAt(i, ((x + 0.5) / gw) * W - 0.5, ((y + 0.5) / gh) * H - 0.5);
    return { width: gw, height: gh, data };
  });
  const ref = 200;
  const planes = renderPlanes(
    s,
    16,
    (i, x, y) => {
      const [px, py, pz] = pointMm(x, y);
      const dx = leds[3 * i] - px, dy = leds[3 * i + 1] - py, dz = leds[3 * i + 2] - pz;
      const r = Math.hypot(dx, dy, dz);
      return [dx / r, dy / r, dz / r, gainAt(i, x, y) * (ref / r) ** 2];
    },
    { specular: 0.3, shininess: 60, noise: 0.002 },
  );
  const rig = { ledPositionsMm: leds, pointMm, gainMaps, referenceDistanceMm: ref };
  for (const backend of await backends()) {
    const near = await solvePhotometricStereo(planes, nearFieldLights(W, H, rig, 8), { backend });
    const e = normalError(near.normals, s.normals);
    t.comment(`${backend} near-field robust: mean ${e.meanDeg.toFixed(3)}°, median ${e.medianDeg.toFixed(3)}°`);
    t.ok(e.meanDeg <= 1, `mean normal error ≤ 1° (got ${e.meanDeg.toFixed(3)}°)`);
    // The same data treated as distant lights from the card centre is clearly worse: near-field matters.
    const distant = distantLights(W, H, nearFieldLights(W, H, { ...rig, gainMaps: undefined }, Math.max(W, H)).vectors);
    const far = await solvePhotometricStereo(planes, distant, { backend });
    const eFar = normalError(far.normals, s.normals);
    t.comment(`${backend} same data as distant lights: mean ${eFar.meanDeg.toFixed(3)}°`);
    t.ok(eFar.meanDeg > 2 * e.meanDeg, 'per-pixel light vectors beat one direction per LED');
  }
});

t.test('light selection and bad input', async (t) => {
  const dirs = ringLights([40], 6);
  const field = distantLights(4, 3, dirs);
  t.equal(selectLights(field, [0, 2, 4]).count, 3);
  const planes = Array.from({ length: 6 }, () => new Uint16Array(12));
  await t.rejects(solvePhotometricStereo(planes.slice(0, 5), field), { code: 'GB_DATASET_INVALID' });
  await t.rejects(solvePhotometricStereo([...planes.slice(0, 5), new Uint16Array(11)], field), { code: 'GB_IMAGE_INVALID' });
  t.throws(() => distantLights(4, 3, [0, 0, 1, 0, 1]), { code: 'GB_DATASET_INVALID' });
  t.throws(() => distantLights(4, 3, [0, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1]), { code: 'GB_DATASET_INVALID' });
});
