import t from 'tap';
import { algebraicCircleFit, fitCircleRobust, geometricCircleFit, solve3 } from '../../src/calibration/circle-fit.ts';

// Deterministic pseudo-random numbers so the bounds below are reproducible.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const gauss = (rnd: () => number): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());

t.test('solve3 solves and reports singular systems', async (t) => {
  const x = solve3([2, 1, 0, 1, 3, 1, 0, 1, 4], [3, 5, 5]);
  t.ok(x);
  t.ok(Math.abs((x as number[])[0] - 1) < 1e-12 && Math.abs((x as number[])[1] - 1) < 1e-12 && Math.abs((x as number[])[2] - 1) < 1e-12);
  t.equal(solve3([1, 2, 3, 2, 4, 6, 1, 1, 1], [1, 2, 3]), undefined);
});

t.test('exact points give the exact circle (algebraic and geometric)', async (t) => {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 50; i++) {
    const a = (i / 50) * 2 * Math.PI;
    xs.push(120.3 + 80.7 * Math.cos(a));
    ys.push(95.1 + 80.7 * Math.sin(a));
  }
  const alg = algebraicCircleFit(xs, ys);
  t.ok(Math.abs(alg.cxPx - 120.3) < 1e-9 && Math.abs(alg.cyPx - 95.1) < 1e-9 && Math.abs(alg.radiusPx - 80.7) < 1e-9);
  const geo = geometricCircleFit(xs, ys, { cxPx: 118, cyPx: 97, radiusPx: 75 });
  t.ok(Math.abs(geo.cxPx - 120.3) < 1e-9 && Math.abs(geo.radiusPx - 80.7) < 1e-9, 'geometric fit converges from a rough start');
});

t.test('noise and 10% gross outliers: robust fit within 0.05 px, outliers rejected', async (t) => {
  const rnd = lcg(7);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 600; i++) {
    const a = rnd() * 2 * Math.PI;
    const outlier = i % 10 === 0;
    const r = 150 + (outlier ? 5 + 20 * rnd() : 0.2 * gauss(rnd));
    xs.push(300.25 + r * Math.cos(a));
    ys.push(200.75 + r * Math.sin(a));
  }
  const fit = fitCircleRobust(xs, ys);
  t.ok(Math.abs(fit.cxPx - 300.25) < 0.05, `cx ${fit.cxPx}`);
  t.ok(Math.abs(fit.cyPx - 200.75) < 0.05, `cy ${fit.cyPx}`);
  t.ok(Math.abs(fit.radiusPx - 150) < 0.05, `r ${fit.radiusPx}`);
  t.ok(fit.outliers >= 60, `${fit.outliers} outliers rejected`);
  t.ok(fit.rmsResidualPx < 0.3, `rms ${fit.rmsResidualPx}`);
  const naive = geometricCircleFit(xs, ys, algebraicCircleFit(xs, ys));
  t.ok(Math.abs(naive.radiusPx - 150) > 0.5, 'without rejection the outliers would bias the radius');
});

t.test('too few or collinear points are coded errors', async (t) => {
  t.throws(() => algebraicCircleFit([1, 2], [1, 2]), { code: 'GB_VISION_FAILED' });
  t.throws(() => algebraicCircleFit([0, 1, 2, 3], [0, 1, 2, 3]), { code: 'GB_VISION_FAILED' });
});
