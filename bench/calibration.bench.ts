// Calibration benchmarks at the booth's full sensor size (3000 × 4096): locating the mirror sphere from its
// mask outline, finding one LED's highlight (with the normal-space centroid), a whole 24-LED placement's
// highlights, the LED triangulation, and white-target intensities. Images are synthetic (an anti-aliased
// disc and a clipped Gaussian highlight), built once outside the timed calls.
import type { BenchResult, BenchSuite } from './bench.ts';
import { medianMs } from './bench.ts';
import type { FloatImage } from '../src/imaging/image.ts';
import { fitSphereOutline } from '../src/calibration/distant-lights.ts';
import { measureSpherePlacement } from '../src/calibration/sphere-placement.ts';
import { findHighlight } from '../src/calibration/sphere-image.ts';
import { triangulateLeds, type SpherePlacement } from '../src/calibration/led-positions.ts';
import { ledIntensitiesFromWhite } from '../src/calibration/led-intensity.ts';
import type { Intrinsics, Vec3 } from '../src/calibration/mirror-sphere.ts';

function disc(width: number, height: number, cx: number, cy: number, r: number): FloatImage {
  const data = new Float32Array(width * height);
  for (let y = Math.max(0, Math.floor(cy - r - 2)); y < Math.min(height, cy + r + 2); y++) {
    for (let x = Math.max(0, Math.floor(cx - r - 2)); x < Math.min(width, cx + r + 2); x++) {
      data[y * width + x] = Math.min(1, Math.max(0, r - Math.hypot(x + 0.5 - cx, y + 0.5 - cy) + 0.5));
    }
  }
  return { width, height, data };
}

function highlight(width: number, height: number, hx: number, hy: number, sigmaPx: number): FloatImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 0.01 + Math.min(1, 4 * Math.exp(-0.5 * (Math.hypot(x - hx, y - hy) / sigmaPx) ** 2));
  return { width, height, data };
}

export const calibrationBench: BenchSuite = {
  name: 'calibration',
  async *run({ quick }): AsyncIterable<BenchResult> {
    const scale = quick ? 4 : 1;
    const width = 3000 / scale;
    const height = 4096 / scale;
    const k: Intrinsics = { fxPx: 12174 / scale, fyPx: 12174 / scale, cxPx: width / 2, cyPx: height / 2 };
    const rPx = 538 / scale;
    const mask = disc(width, height, width / 2 + 40 / scale, height / 2 - 30 / scale, rPx);
    yield { name: 'sphere outline fit (mask)', width, height, ms: await medianMs(3, () => fitSphereOutline(mask)) };
    const img = highlight(width, height, width / 2 + 200 / scale, height / 2 - 100 / scale, 12 / scale);
    yield { name: 'highlight (one LED)', width, height, ms: await medianMs(3, () => findHighlight(img, { cxPx: width / 2, cyPx: height / 2, radiusPx: rPx }, 0.5, true)) };
    const leds = quick ? 8 : 24;
    const images = Array.from({ length: leds }, () => img);
    yield { name: 'sphere placement (outline + highlights)', width, height, lights: leds, ms: await medianMs(1, () => measureSpherePlacement(k, mask, images, 12.7)) };

    const placements: SpherePlacement[] = [[-20, 15], [20, 15], [0, -25], [15, -10]].map(([x, y]) => ({
      centreMm: [x, y, 287.3] as Vec3,
      radiusMm: 12.7,
      highlightsPx: Array.from({ length: 24 }, (_, i) => [k.cxPx + ((x + 5 * Math.cos(i)) * k.fxPx) / 287.3, k.cyPx + ((y + 5 * Math.sin(i)) * k.fyPx) / 287.3] as const),
    }));
    yield { name: 'triangulate 24 LEDs × 4 placements', lights: 24, ms: await medianMs(20, () => triangulateLeds(k, placements)) };

    const white: FloatImage = { width, height, data: new Float32Array(width * height).fill(0.4) };
    const ledPos: Vec3[] = Array.from({ length: leds }, (_, i) => [200 * Math.cos(i), 200 * Math.sin(i), 200]);
    yield { name: 'white-target intensities + gain maps', width, height, lights: leds, ms: await medianMs(1, () => ledIntensitiesFromWhite(k, { pointMm: [0, 0, 298], normal: [0, 0, -1] }, ledPos, ledPos.map(() => white), { gainMaps: true })) };
  },
};
