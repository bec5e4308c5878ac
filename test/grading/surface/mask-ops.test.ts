import t from 'tap';
import { components, componentsTs, dilateSquare, dilateSquareTs, erodeSquare, erodeSquareTs, cardBoxOfMask, cardBoxPx } from '../../../src/grading/surface/postprocess.ts';
import { maskedBoxMeanPasses } from '../../../src/grading/surface/features.ts';
import { smoothRelief, smoothingRadiusPx } from '../../../src/grading/surface/relief-valleys.ts';
import { visionNativeSync } from '../../../src/vision/native.ts';

// The surface post-processing's mask operations run in native/vision/morph.c when the addon is built. They
// must give exactly what the TypeScript gives (the detector's defects depend on every pixel of them):
// erosion, dilation and component labels byte for byte, the masked box means float for float.

/** A mask of blobs and speckle at a density, seeded; some values other than 1 (masks are "nonzero = set"). */
function randomMask(w: number, h: number, density: number, seed: number): Uint8Array {
  let s = seed * 2654435761;
  const rnd = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296; };
  const m = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) if (rnd() < density) m[i] = rnd() < 0.9 ? 1 : 255;
  // A few solid rectangles, so erosion keeps something and components are large.
  for (let k = 0; k < 4; k++) {
    const x0 = Math.floor(rnd() * w), y0 = Math.floor(rnd() * h), x1 = Math.min(w, x0 + 1 + Math.floor(rnd() * w / 2)), y1 = Math.min(h, y0 + 1 + Math.floor(rnd() * h / 2));
    for (let y = y0; y < y1; y++) m.fill(1, y * w + x0, y * w + x1);
  }
  return m;
}

const ops = visionNativeSync()?.maskOps;
const sizes: [number, number][] = [[1, 1], [1, 37], [41, 1], [7, 5], [64, 48], [203, 151]];

t.test('erosion and dilation: the same bytes as the TypeScript, every size, density and radius', { skip: !ops && 'native addon not built' }, async (t) => {
  let cases = 0;
  for (const [w, h] of sizes) {
    for (const density of [0, 0.05, 0.5, 0.97, 1]) {
      const m = randomMask(w, h, density, w * 31 + h + Math.round(density * 100));
      for (const r of [1, 2, 3, 7, 60]) {
        t.same(erodeSquare(m, w, h, r), erodeSquareTs(m, w, h, r), `erode ${w}×${h} density ${density} r ${r}`);
        t.same(dilateSquare(m, w, h, r), dilateSquareTs(m, w, h, r), `dilate ${w}×${h} density ${density} r ${r}`);
        cases++;
      }
    }
  }
  t.equal(cases, 150);
  // Radius 0 is the mask itself on both paths.
  const m = randomMask(9, 9, 0.5, 3);
  t.equal(erodeSquare(m, 9, 9, 0), m);
  t.equal(dilateSquare(m, 9, 9, 0), m);
});

t.test('components: the same labels and count, numbered in raster order of first pixels', { skip: !ops && 'native addon not built' }, async (t) => {
  for (const [w, h] of sizes) {
    for (const density of [0, 0.05, 0.3, 0.6, 1]) {
      const m = randomMask(w, h, density, w + h * 17 + Math.round(density * 10));
      const a = components(m, w, h), b = componentsTs(m, w, h);
      t.equal(a.count, b.count, `${w}×${h} density ${density}: ${b.count} components`);
      t.ok(Buffer.from(a.labels.buffer).equals(Buffer.from(b.labels.buffer)), `${w}×${h} density ${density}: labels`);
    }
  }
  // A U shape joins at its bottom: one component; its two arms start on the first row.
  const w = 5, h = 3;
  const u = Uint8Array.from([1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const c = components(u, w, h);
  t.equal(c.count, 1);
  t.same([...c.labels], [1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  // Diagonal neighbours touch (8-connected); more runs than the kernel's first buffer (1024) grow it.
  const big = 300, chk = new Uint8Array(big * big);
  for (let y = 0; y < big; y++) for (let x = 0; x < big; x++) chk[y * big + x] = (x + y) % 2 === 0 ? 1 : 0;
  t.equal(components(chk, big, big).count, 1, 'a checkerboard is one 8-connected component');
  const dots = new Uint8Array(big * big);
  for (let y = 0; y < big; y += 2) for (let x = 0; x < big; x += 2) dots[y * big + x] = 1;
  const d = components(dots, big, big);
  t.equal(d.count, (big / 2) ** 2, '22 500 separate dots: 22 500 components');
  t.equal(d.labels[2], 2);
  t.equal(d.labels[2 * big], big / 2 + 1);
});

t.test('masked box means (the relief smoothing of the folds and scratch blocks): float for float', { skip: !ops && 'native addon not built' }, async (t) => {
  for (const [w, h] of sizes) {
    const mask = randomMask(w, h, 0.7, w * h);
    const values = new Float32Array(w * h);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.37) * 40 + (i % 13) - 6.5;
    for (const r of [0, 1, 4, 25]) {
      for (const passes of [1, 2, 3]) {
        const out = new Float32Array(w * h);
        ops!.maskedBoxMean(values, mask, w, h, r, passes, out);
        const ref = maskedBoxMeanPasses(values, mask, w, h, r, passes);
        t.ok(Buffer.from(out.buffer).equals(Buffer.from(ref.buffer)), `${w}×${h} r ${r} ${passes} passes`);
      }
    }
  }
  // smoothRelief (the caller) gives the TypeScript's floats too.
  const w = 120, h = 90, mask = randomMask(w, h, 0.9, 5), relief = new Float32Array(w * h).map((_, i) => (i % 7) * 1.5 - (i % 11));
  t.same(smoothRelief(relief, mask, w, h, 3.4), maskedBoxMeanPasses(relief, mask, w, h, smoothingRadiusPx(3.4), 3));
});

t.test('the native operations refuse wrong sizes and aliased buffers instead of writing out of bounds', { skip: !ops && 'native addon not built' }, async (t) => {
  const m = new Uint8Array(20), out = new Uint8Array(20), f = new Float32Array(20);
  t.throws(() => ops!.erodeSquare(m, 5, 5, 1, out), { code: 'GB_INTERNAL' }, 'a 20-byte mask is not 5×5');
  t.throws(() => ops!.dilateSquare(m, 4, 5, 1, new Uint8Array(19)), { code: 'GB_INTERNAL' }, 'output too short');
  t.throws(() => ops!.erodeSquare(m, 4, 5, 1, m), { code: 'GB_INTERNAL' }, 'in place');
  t.throws(() => ops!.components(m, 4, 5, new Int32Array(19)), { code: 'GB_INTERNAL' }, 'labels too short');
  t.throws(() => ops!.maskedBoxMean(f, m, 4, 5, 1, 3, f), { code: 'GB_INTERNAL' }, 'box mean in place');
  t.throws(() => ops!.maskedBoxMean(f, m, 4, 5, 1, 0, new Float32Array(20)), { code: 'GB_INTERNAL' }, 'zero passes');
  t.throws(() => ops!.maskedBoxMean(f, m, 4, 5, -1, 1, new Float32Array(20)), { code: 'GB_INTERNAL' }, 'negative radius');
});

t.test('the card box is found once per mask and handed out as a copy', async (t) => {
  const w = 30, h = 20, mask = new Uint8Array(w * h);
  for (let y = 3; y < 17; y++) mask.fill(1, y * w + 4, y * w + 25);
  const box = cardBoxOfMask(mask, w, h);
  t.same(box, [4, 3, 25, 17]);
  t.same(box, cardBoxPx(mask, w, h));
  box[0] = 99;
  t.same(cardBoxOfMask(mask, w, h), [4, 3, 25, 17], 'changing the returned box does not change the cached one');
  // The same bytes read at another size are another box.
  t.same(cardBoxOfMask(mask, h, w), cardBoxPx(mask, h, w));
  t.same(cardBoxOfMask(new Uint8Array(w * h), w, h), [0, 0, w, h], 'an empty mask: the whole map');
});
