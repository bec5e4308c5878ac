import t from 'tap';
import { firstCrossing, firstCrossingOf, median, sample, type CardFrame } from '../../src/grading/card-frame.ts';
import { edgePoint, sampleAcross } from '../../src/grading/outline.ts';

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
