import t from 'tap';
import { firstCrossing, firstCrossingOf, median, medianInPlace, robustLine, robustSigma, robustSigmaOf, sample, type CardFrame } from '../../src/grading/card-frame.ts';
import { across, crossingAcross, crossingAlongRay, edgePoint, fitCornerRadius, sampleAcross } from '../../src/grading/outline.ts';

// The measurements' building blocks that were rewritten for speed must give exactly what the plain
// definitions give: a median by selection equals the sorted middle, a crossing found on demand equals the
// crossing of the whole profile, and sampling across an edge equals sampling at its edge point.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

function sortedMedian(v: number[]): number {
  const s = Float64Array.from(v).sort();
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}

t.test('median by selection equals the sorted middle', async (t) => {
  const r = rng(3);
  let checked = 0;
  for (const n of [1, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 4097, 100_000]) {
    // Continuous values, heavy duplicates (levels quantised to a few values), and already sorted input.
    const cont = Array.from({ length: n }, () => r() * 2 - 1);
    const dup = Array.from({ length: n }, () => Math.floor(r() * 4) / 4);
    const sorted = [...cont].sort((a, b) => a - b);
    for (const v of [cont, dup, sorted, [...sorted].reverse()]) {
      t.equal(median(v), sortedMedian(v), `n=${n}`);
      checked++;
    }
  }
  t.ok(Number.isNaN(median([])), 'none: NaN');
  t.equal(median([3, NaN, 1]), sortedMedian([3, NaN, 1]), 'NaN input: as the sort does');
  t.ok(checked >= 48);
});

t.test('a crossing found on demand is the crossing of the whole profile, each sample computed once', async (t) => {
  const r = rng(9);
  for (let trial = 0; trial < 200; trial++) {
    const n = 2 + Math.floor(r() * 60);
    const p = Array.from({ length: n }, () => Math.round(r() * 8) / 4);
    const level = Math.round(r() * 8) / 4;
    const from = Math.floor(r() * n), to = Math.floor(r() * n);
    const calls = new Map<number, number>();
    const got = firstCrossingOf((k) => { calls.set(k, (calls.get(k) ?? 0) + 1); return p[k]; }, level, from, to);
    t.equal(got, firstCrossing(p, level, from, to), `profile ${trial}: ${from} → ${to}`);
    t.ok([...calls.values()].every((c) => c === 1), `profile ${trial}: each sample once`);
  }
});

t.test('sampling across an edge equals sampling at its edge point', async (t) => {
  const w = 37, h = 29;
  const r = rng(5);
  const values = Float32Array.from({ length: w * h }, () => r());
  const f = { leftPx: 3.5, rightPx: 32.25, topPx: 2.5, bottomPx: 26.75 } as CardFrame;
  for (const edge of ['top', 'right', 'bottom', 'left'] as const) {
    for (let i = 0; i < 50; i++) {
      const tt = r() * 30, d = r() * 12 - 4;
      t.equal(sampleAcross(values, w, h, f, edge, tt, d), sample(values, w, h, ...edgePoint(f, edge, tt, d)), `${edge} t=${tt.toFixed(2)} d=${d.toFixed(2)}`);
    }
    // Along the line `across` gives (the measurements' loops): the same points, so the same samples, also
    // at whole t and d of either sign (where ±1·d and t + 0·d must be exact).
    for (let i = 0; i < 80; i++) {
      const tt = i % 2 ? Math.floor(r() * 30) : r() * 30, d = i % 3 ? r() * 12 - 4 : Math.round(r() * 12 - 4);
      const { bx, by, ax, ay } = across(f, edge, tt);
      const [px, py] = edgePoint(f, edge, tt, d);
      if (!Object.is(bx + ax * d, px) || !Object.is(by + ay * d, py)) t.fail(`${edge} t=${tt} d=${d}: (${bx + ax * d}, ${by + ay * d}) vs (${px}, ${py})`);
      t.equal(sample(values, w, h, bx + ax * d, by + ay * d), sampleAcross(values, w, h, f, edge, tt, d), `${edge} along the line t=${tt.toFixed(2)} d=${d.toFixed(2)}`);
    }
  }
});

t.test('bilinear sampling on whole-pixel columns and rows equals the four-neighbour formula', async (t) => {
  const w = 23, h = 19;
  const r = rng(11);
  const v = Float32Array.from({ length: w * h }, () => r() * 4 - 2);
  // The general formula, reading all four neighbours.
  const general = (x: number, y: number): number => {
    const xc = Math.min(Math.max(x, 0), w - 1.000001), yc = Math.min(Math.max(y, 0), h - 1.000001);
    const x0 = Math.floor(xc), y0 = Math.floor(yc), fx = xc - x0, fy = yc - y0, i = y0 * w + x0;
    return (v[i] * (1 - fx) + v[i + 1] * fx) * (1 - fy) + (v[i + w] * (1 - fx) + v[i + w + 1] * fx) * fy;
  };
  let n = 0;
  for (let k = 0; k < 400; k++) {
    const whole = Math.floor(r() * (w + 4)) - 2, frac = r() * (h + 4) - 2;
    for (const [x, y] of [[whole, frac], [frac * (w / h), Math.floor(r() * (h + 4)) - 2], [whole, Math.floor(r() * h)]]) {
      if (sample(v, w, h, x, y) !== general(x, y)) t.fail(`(${x}, ${y}): ${sample(v, w, h, x, y)} ≠ ${general(x, y)}`);
      n++;
    }
  }
  t.equal(n, 1200, 'whole columns, whole rows, whole pixels (and outside the map, clamped): all equal');
});

t.test('median in place and the robust sigma on a buffer equal median() and robustSigma() of a copy', async (t) => {
  const r = rng(21);
  let n = 0;
  for (const len of [0, 1, 2, 3, 4, 7, 20, 21, 100, 1001]) {
    for (const kind of ['cont', 'dup', 'nan']) {
      const v = Array.from({ length: len }, () => (kind === 'dup' ? Math.floor(r() * 3) / 3 : r() * 10 - 5));
      if (kind === 'nan' && len > 2) v[len >> 1] = NaN;
      // A buffer longer than the values (the hot loops reuse one), its tail holding other numbers.
      const buf = new Float64Array(len + 5).fill(99);
      buf.set(v);
      const want = median(v);
      const got = medianInPlace(buf, len);
      t.ok(Object.is(got, want), `median n=${len} ${kind}: ${got} vs ${want}`);
      buf.set(v);
      const keep = Float64Array.from(buf);
      const sg = robustSigmaOf(buf, len, new Float64Array(len + 3));
      t.ok(Object.is(sg, robustSigma(v)), `robust sigma n=${len} ${kind}: ${sg} vs ${robustSigma(v)}`);
      t.same(buf, keep, 'the values are left as they were');
      n++;
    }
  }
  t.equal(n, 30);
  // robustLine reuses its buffers across its reweighting: the fit of a line with outliers is the plain one.
  const ts = Array.from({ length: 300 }, (_, i) => i);
  const ps = ts.map((x) => 0.3 + 0.002 * x + (r() - 0.5) * 0.1 + (x % 37 === 0 ? 5 : 0));
  const fit = robustLine(ts, ps, 0.05);
  t.ok(fit && Math.abs(fit.b - 0.002) < 5e-4 && fit.inlierFraction > 0.9, `slope ${fit?.b}, inliers ${fit?.inlierFraction}`);
});

t.test('the written-out crossings across an edge and along a corner ray equal firstCrossingOf', async (t) => {
  const w = 61, h = 53;
  const r = rng(17);
  // A dark tray, a bright card from px 12 in, noise, and flat stretches where a sample equals the level exactly.
  const values = Float32Array.from({ length: w * h }, (_, i) => ((i % w) > 12 && Math.floor(i / w) > 12 ? 0.8 : 0.1) + Math.round(r() * 4) / 40);
  const f = { leftPx: 12.5, rightPx: 48.5, topPx: 12.5, bottomPx: 40.5 } as CardFrame;
  let n = 0, found = 0;
  for (const edge of ['top', 'right', 'bottom', 'left'] as const) {
    for (let i = 0; i < 60; i++) {
      const tt = 14 + r() * 25, dOut = -(2 + r() * 9), count = 1 + Math.floor(r() * 40), level = [0.45, 0.1, 0.8, 0.125][i % 4];
      const want = firstCrossingOf((j) => sampleAcross(values, w, h, f, edge, tt, dOut + j * 0.5), level, 0, count - 1);
      const got = crossingAcross(values, w, h, f, edge, tt, dOut, count, level);
      t.ok(Object.is(got, want), `${edge} t=${tt.toFixed(2)}: ${got} vs ${want}`);
      n++; if (got !== undefined) found++;
    }
  }
  for (let i = 0; i < 300; i++) {
    const phi = ((-20 + 130 * r()) * Math.PI) / 180, dx = -Math.cos(phi), dy = -Math.sin(phi);
    // Mostly rays of the card's top-left corner (the card lies right of and below Q), some mirrored.
    const Q: [number, number] = [12.5 + r(), 12.5 + r()], sx = i % 5 === 0 ? -1 : 1, sy = i % 7 === 0 ? -1 : 1, rs = 8 + r() * 10;
    const steps = 1 + Math.floor(r() * 150), level = [0.45, 0.1, 0.8][i % 3];
    const want = firstCrossingOf((k) => sample(values, w, h, Q[0] + sx * (rs + dx * k * 0.25), Q[1] + sy * (rs + dy * k * 0.25)), level, steps - 1, 0);
    const got = crossingAlongRay(values, w, h, Q, sx, sy, rs, dx, dy, steps, level);
    t.ok(Object.is(got, want), `ray ${i}: ${got} vs ${want}`);
    n++; if (got !== undefined) found++;
  }
  t.ok(found > n / 4, `${found} of ${n} profiles cross`);
});

t.test('the corner radius fit equals the plain search with Math.hypot for every point', async (t) => {
  // The plain search: every point's clipped squared distance from the rounded corner of each R.
  const plain = (pts: [number, number][], rNom: number, rs: number, px: number): number => {
    const clip = 0.15 * px;
    let bestR = rNom, bestCost = Infinity;
    for (let R = 0.05 * px; R <= rs - 0.3 * px; R += 0.01 * px) {
      let cost = 0;
      for (const [al, be] of pts) {
        const d = al < R && be < R ? R - Math.hypot(R - al, R - be) : Math.min(al, be);
        cost += Math.min(d * d, clip * clip);
      }
      if (cost < bestCost) { bestCost = cost; bestR = R; }
    }
    return bestR;
  };
  const r = rng(29);
  for (let trial = 0; trial < 24; trial++) {
    const px = [10, 12.5, 25, 40][trial % 4], rNom = 3 * px, rs = rNom + 2 * px, R0 = (1 + 3 * r()) * px;
    // Outline points of a rounded corner of radius R0 along rays from (rs, rs), with jitter, fray and a few strays.
    const pts: [number, number][] = [];
    for (let k = 0; k <= 120; k++) {
      const phi = ((-20 + (130 * k) / 120) * Math.PI) / 180, dx = -Math.cos(phi), dy = -Math.sin(phi);
      let lo = 0, hi = 4 * rs;
      for (let it = 0; it < 60; it++) {
        const m = (lo + hi) / 2, al = rs + dx * m, be = rs + dy * m;
        const inside = al < R0 && be < R0 ? Math.hypot(R0 - al, R0 - be) <= R0 : al >= 0 && be >= 0;
        if (inside) lo = m; else hi = m;
      }
      const m = lo + (r() - 0.5) * (trial % 3) * 0.1 * px + (r() < 0.03 ? px : 0);
      pts.push([rs + dx * m, rs + dy * m]);
    }
    const got = fitCornerRadius(pts, rNom, rs, px), want = plain(pts, rNom, rs, px);
    t.ok(Object.is(got, want), `trial ${trial} (px/mm ${px}, drawn r ${(R0 / px).toFixed(2)} mm): ${got} vs ${want}`);
  }
});
