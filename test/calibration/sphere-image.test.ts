import t from 'tap';
import { findHighlight, maskBoundaryPoints, toChannelMax, toLuminance } from '../../src/calibration/sphere-image.ts';
import type { FloatImage } from '../../src/imaging/image.ts';

t.test('luminance and channel max of 8- and 16-bit rasters are 0..1', async (t) => {
  const rgb16 = { width: 2, height: 1, channels: 3 as const, bitDepth: 16 as const, data: Uint16Array.from([65535, 0, 0, 65535, 65535, 65535]) };
  t.same(Array.from(toLuminance(rgb16).data).map((v) => Math.round(v * 1000) / 1000), [0.333, 1]);
  t.same(Array.from(toChannelMax(rgb16).data), [1, 1]);
  const grey8 = { width: 1, height: 1, channels: 1 as const, bitDepth: 8 as const, data: Uint8Array.from([51]) };
  t.ok(Math.abs(toLuminance(grey8).data[0] - 0.2) < 1e-6);
});

t.test('anti-aliased mask edge is found where coverage crosses one half', async (t) => {
  // A vertical edge at x = 10.3: pixel 10 is 70% covered.
  const w = 20, h = 4;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < 10 ? 1 : x === 10 ? 0.3 : 0;
  const { xs } = maskBoundaryPoints({ width: w, height: h, data });
  t.equal(xs.length, h);
  // Linear interpolation between pixel centres 9.5 (1.0) and 10.5 (0.3) puts the 0.5 level at 10.214.
  t.ok(xs.every((x) => Math.abs(x - (9.5 + 0.5 / 0.7)) < 1e-6), `edge at ${xs[0]}`);
  t.throws(() => maskBoundaryPoints({ width: 2, height: 2, data: new Float32Array(4) }), { code: 'GB_IMAGE_INVALID' });
});

t.test('highlight: the strongest blob wins over a small inter-reflection; clipped plateau centred', async (t) => {
  const w = 60, h = 50;
  const data = new Float32Array(w * h).fill(0.01);
  const put = (cx: number, cy: number, r: number, v: number): void => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r) data[y * w + x] = v;
  };
  put(40.2, 20.7, 5, 1); // clipped highlight
  put(12, 30, 1.5, 1); // small bright inter-reflection, also clipped
  const img: FloatImage = { width: w, height: h, data };
  const hl = findHighlight(img);
  t.ok(Math.abs(hl.xPx - 40.2) < 0.15 && Math.abs(hl.yPx - 20.7) < 0.15, `centre (${hl.xPx}, ${hl.yPx})`);
  t.equal(hl.blobs, 2);
  t.ok(hl.runnerUpRatio > 0 && hl.runnerUpRatio < 0.2);
  t.ok(hl.saturatedPx > 50);
  const inCircle = findHighlight(img, { cxPx: 12, cyPx: 30, radiusPx: 6 });
  t.ok(Math.abs(inCircle.xPx - 12) < 0.2, 'the search circle limits where to look');
  const kept = findHighlight(img, undefined, 0.5, true);
  t.equal(kept.pixels?.xs.length, kept.areaPx);
  t.throws(() => findHighlight({ width: 3, height: 3, data: new Float32Array(9) }), { code: 'GB_VISION_FAILED' });
});
