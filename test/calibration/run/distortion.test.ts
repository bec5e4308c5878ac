import t from 'tap';
import { fitRadialK1, homographyRms, undistortPixels, withRadialDistortion } from '../../../src/calibration/run/distortion.ts';
import { pixelRay, type Intrinsics } from '../../../src/calibration/mirror-sphere.ts';

// A flat 2 mm grid 299 mm from a 750×1024 camera whose lens has radial distortion k1 (forward model
// x_d = x_u (1 + k1 r²), as in the simulator's camera): the fit must find k1 and leave a pinhole residual.
const k: Intrinsics = { fxPx: 3043.5, fyPx: 3043.5, cxPx: 375, cyPx: 512 };
function grid(k1: number): { pattern: Array<[number, number]>; px: Array<[number, number]> } {
  const pattern: Array<[number, number]> = [];
  const px: Array<[number, number]> = [];
  for (let j = -21; j <= 21; j++) for (let i = -16; i <= 16; i++) {
    const xn = (2 * i + 0.3) / 299, yn = (-2 * j + 0.1) / 299;
    const d = 1 + k1 * (xn * xn + yn * yn);
    pattern.push([2 * i, 2 * j]);
    px.push([k.fxPx * xn * d + k.cxPx, k.fyPx * yn * d + k.cyPx]);
  }
  return { pattern, px };
}

t.test('radial distortion from a flat dot grid', async (t) => {
  for (const k1 of [-0.05, 0, 0.08]) {
    const { pattern, px } = grid(k1);
    const fit = fitRadialK1(k, pattern, px);
    t.ok(Math.abs(fit.k1 - k1) < 1e-3, `k1 ${k1}: fitted ${fit.k1.toFixed(5)}`);
    t.ok(fit.rmsAfterPx < 0.01, `pinhole residual after ${fit.rmsAfterPx.toExponential(2)} px (before ${fit.rmsBeforePx.toFixed(3)} px)`);
    if (k1 !== 0) t.ok(fit.rmsBeforePx > 0.1, 'distortion shows in the plain homography');
    t.ok(homographyRms(pattern, undistortPixels(k, px, fit.k1)) < 0.01);
  }
  // Rays of the distortion-aware model go back through the undistorted points.
  const kd = withRadialDistortion(k, -0.05);
  const { px } = grid(-0.05);
  const ray = pixelRay(kd, px[0][0], px[0][1]);
  t.ok(Math.abs(ray[0] / ray[2] - (2 * -16 + 0.3) / 299) < 1e-9 && Math.abs(ray[1] / ray[2] - (-2 * -21 + 0.1) / 299) < 1e-9, 'rays undo the distortion');
});
