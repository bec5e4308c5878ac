import t from 'tap';
import { homographyFromPoints, applyHomography } from '../../src/vision/homography.ts';
import { normalsToCanonical, roundedRectMask, warpToCanonical, warpToCanonicalAsync } from '../../src/vision/rectify.ts';
import type { CardOutline } from '../../src/vision/segment.ts';

function outlineFor(angleDeg: number): CardOutline {
  const a = (angleDeg * Math.PI) / 180;
  const cw = 60, ch = 84;
  const corners: [number, number][] = [[-0.5, -0.5], [cw - 0.5, -0.5], [cw - 0.5, ch - 0.5], [-0.5, ch - 0.5]].map(([x, y]) => {
    const u = (x - cw / 2) * 1.3, v = (y - ch / 2) * 1.3;
    return [70 + Math.cos(a) * u - Math.sin(a) * v, 75 + Math.sin(a) * u + Math.cos(a) * v];
  });
  const H = homographyFromPoints([[-0.5, -0.5], [cw - 0.5, -0.5], [cw - 0.5, ch - 0.5], [-0.5, ch - 0.5]], corners);
  return { corners, sides: [], cornerRadiiPx: [], umPerPx: 100, canonicalToImage: H, canonicalWidth: cw, canonicalHeight: ch, canonicalUmPerPx: 130 };
}

t.test('homography maps the four points exactly', async (t) => {
  const o = outlineFor(17);
  const [x, y] = applyHomography(o.canonicalToImage, 59.5, 83.5);
  t.ok(Math.hypot(x - o.corners[2][0], y - o.corners[2][1]) < 1e-9);
});

t.test('normals rotate with the card: a tilt towards image +x becomes canonical tilt along the card axis', async (t) => {
  const W = 140, H = 150;
  const n = new Float32Array(W * H * 3);
  // Every pixel tilted 10° towards the image's +x (right).
  const s = Math.sin(Math.PI / 18), c = Math.cos(Math.PI / 18);
  for (let i = 0; i < W * H; i++) n.set([s, 0, c], 3 * i);
  const o = outlineFor(30); // card rotated 30° counter-clockwise on screen (y down) → clockwise in y-up
  const out = normalsToCanonical(n, W, H, o);
  const k = 3 * (42 * 60 + 30);
  // Image x seen from the card's axes (card rotated +30° in y-down image coordinates).
  t.ok(Math.abs(out[k] - s * Math.cos(Math.PI / 6)) < 1e-4, `x ${out[k]}`);
  t.ok(Math.abs(out[k + 1] - s * Math.sin(Math.PI / 6)) < 1e-4, `y ${out[k + 1]}`);
  t.ok(Math.abs(out[k + 2] - c) < 1e-4);
  const nat = await warpToCanonicalAsync(n, W, H, 3, o, true);
  let worst = 0;
  for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - nat[i]));
  t.ok(worst < 1e-5, `async (native when built) agrees with TS (worst ${worst})`);
});

t.test('scalar resampling: async agrees with TS; rounded mask', async (t) => {
  const W = 140, H = 150;
  const img = new Float32Array(W * H).map((_, i) => Math.sin(i % W) + (i / W) * 0.01);
  const o = outlineFor(-12);
  const a = warpToCanonical(img, W, H, 1, o.canonicalToImage, o.canonicalWidth, o.canonicalHeight);
  const b = await warpToCanonicalAsync(img, W, H, 1, o);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  t.ok(worst < 1e-4, `worst ${worst}`);
  const m = roundedRectMask(60, 84, 10);
  t.equal(m[0], 0, 'corner pixel outside the rounded corner');
  t.equal(m[42 * 60 + 30], 1);
  t.equal(m[42 * 60], 1, 'straight edge inside');
});
