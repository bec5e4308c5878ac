import t from 'tap';
import { ledIntensitiesFromWhite } from '../../src/calibration/led-intensity.ts';
import type { Intrinsics, Vec3 } from '../../src/calibration/mirror-sphere.ts';
import type { FloatImage } from '../../src/imaging/image.ts';

// A Lambertian white plane 300 mm in front of the camera, lit by near LEDs of known intensity, rendered
// independently: value = albedo·I·cos θ/r² · vignetting(pixel).
const k: Intrinsics = { fxPx: 400, fyPx: 400, cxPx: 80, cyPx: 60 };
const leds: Vec3[] = [[250, 0, 230], [0, -180, 180], [-90, 60, 150], [60, 60, 140]];
const truth = [1.0, 1.3, 0.7, 0.95];

function renderWhite(led: Vec3, intensity: number, noise = 0, seed = 1): FloatImage {
  let s = seed;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const w = 160, h = 120;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xn = (x + 0.5 - k.cxPx) / k.fxPx;
      const yn = (y + 0.5 - k.cyPx) / k.fyPx;
      const p: Vec3 = [xn * 300, yn * 300, 300];
      const d: Vec3 = [led[0] - p[0], led[1] - p[1], led[2] - p[2]];
      const r = Math.hypot(...d);
      const cos = -d[2] / r;
      const vignetting = 1 / (1 + xn * xn + yn * yn) ** 2;
      data[y * w + x] = (0.8 * intensity * 2e4 * Math.max(0, cos) * vignetting) / (r * r) * (1 + noise * rnd());
    }
  }
  return { width: w, height: h, data };
}

t.test('relative intensities with inverse square and Lambert cosine removed', async (t) => {
  const images = leds.map((l, i) => renderWhite(l, truth[i]));
  const r = ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, 1] }, leds, images, { stepPx: 4 });
  const truthRel = truth.map((v) => v / (truth.reduce((a, b) => a + b) / truth.length));
  // Vignetting is common to all LEDs but weighs each LED's median differently; it stays below 1%.
  r.relative.forEach((v, i) => t.ok(Math.abs(v / truthRel[i] - 1) < 0.01, `LED ${i}: ${v.toFixed(4)} vs ${truthRel[i].toFixed(4)}`));
  t.ok(r.spreadPercent.every((s) => s > 0 && s < 20), `spread ${r.spreadPercent.map((s) => s.toFixed(1)).join(' ')} %`);
});

t.test('noise (2%) barely moves the medians; clipped and dark images are refused', async (t) => {
  const images = leds.map((l, i) => renderWhite(l, truth[i], 0.04, i + 3));
  const clean = ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, -1] }, leds, leds.map((l, i) => renderWhite(l, truth[i])));
  const noisy = ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, -1] }, leds, images);
  noisy.relative.forEach((v, i) => t.ok(Math.abs(v / clean.relative[i] - 1) < 0.005, `LED ${i}`));
  const dark: FloatImage = { width: 160, height: 120, data: new Float32Array(160 * 120) };
  t.throws(() => ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, 1] }, [leds[0]], [dark]), { code: 'GB_VISION_FAILED' });
  t.throws(() => ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, 1] }, leds, [dark]), { code: 'GB_BAD_REQUEST' });
});

t.test('gain maps hold what is left: here the vignetting, normalised to median 1', async (t) => {
  const images = leds.map((l, i) => renderWhite(l, truth[i]));
  const mask: FloatImage = { width: 160, height: 120, data: new Float32Array(160 * 120).fill(1) };
  for (let i = 0; i < 160 * 10; i++) mask.data[i] = 0; // a masked strip along the top is filled from below
  const r = ledIntensitiesFromWhite(k, { pointMm: [0, 0, 300], normal: [0, 0, 1] }, leds, images, { stepPx: 8, gainMaps: true, mask });
  const g = (r.gainMaps as FloatImage[])[2];
  t.equal(g.width, 20);
  t.equal(g.height, 15);
  t.ok(g.data.every((v) => Number.isFinite(v)), 'no gaps left');
  const vig = (x: number, y: number): number => 1 / (1 + ((x + 0.5 - 80) / 400) ** 2 + ((y + 0.5 - 60) / 400) ** 2) ** 2;
  const ratio = g.data[7 * 20 + 10] / g.data[13 * 20 + 1];
  t.ok(Math.abs(ratio / (vig(84, 60) / vig(12, 108)) - 1) < 0.01, `centre/corner gain ${ratio.toFixed(4)}`);
});
