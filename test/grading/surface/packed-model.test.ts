// The packed layout of the recipe's s2d-unet surface models (manifest input/output blockPx 2, activation "logits"):
// the detector packs the features space-to-depth, unpacks the output depth-to-space and applies the softmax
// itself. A packed model computing the same per-pixel function as a plain one must give the same
// probabilities, tiled or in one call, at map sizes that are not multiples of the block.
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSurfaceDetector } from '../../../src/grading/surface/load.ts';
import { wholeMapTiling, type TilingOptions } from '../../../src/grading/surface/detector.ts';
import { surfaceFeatureChannels } from '../../../src/grading/surface/features.ts';
import { isGradeboothError } from '../../../src/core/errors.ts';
import { surfaceManifest, surfaceModelOnnx, type TestModelOptions } from '../../helpers/onnx-model.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

// Weights touching every channel, so a channel or block position mixed up by the packing shows.
const weights: Pick<TestModelOptions, 'weights' | 'bias'> = {
  weights: [[0.3, -0.2, 0.5, 0.1, -0.4, 0.2], [1.1, 0.4, -0.3, 0.2, 0.6, -0.5], [-0.7, 0.9, 0.2, -0.6, 0.1, 0.3], [0.2, -1.2, 0.8, 0.5, -0.3, 0.1], [0.5, 0.5, -0.9, 0.3, 0.2, -0.2], [-0.1, 0.3, 0.4, -1.0, 0.7, 0.6]],
  bias: [0.5, -0.2, 0.1, 0.3, -0.4, 0.2],
};

async function modelDir(t: Test, name: string, o: TestModelOptions, io: { blockPx?: number; logits?: boolean }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `gb-packed-${name}-`));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const bytes = surfaceModelOnnx({ ...o, ...io });
  const m = surfaceManifest(bytes, '1.0.0-test');
  if (io.blockPx) { m.input.blockPx = io.blockPx; m.output.blockPx = io.blockPx; }
  if (io.logits) { m.output.activation = 'logits'; m.output.name = 'logits'; }
  const dir = join(root, '1.0.0-test');
  await mkdir(dir);
  await writeFile(join(dir, 'model.onnx'), bytes);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

function features(w: number, h: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const f = new Float32Array(surfaceFeatureChannels * w * h);
  for (let i = 0; i < f.length; i++) f[i] = rnd() * 4 - 2;
  return f;
}

async function probabilities(dir: string, tiling: TilingOptions, f: Float32Array, w: number, h: number): Promise<Float32Array> {
  const d = await loadSurfaceDetector(dir, { tiling, threads: 1 });
  try {
    return (await d.probabilities(f, w, h)).data;
  } finally {
    await d.close();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

t.test('a packed logits model gives the plain model\'s probabilities, tiled and in one call', async (t) => {
  const plain = await modelDir(t, 'plain', weights, {});
  const logits = await modelDir(t, 'logits', weights, { logits: true });
  const packed = await modelDir(t, 'packed', weights, { blockPx: 2, logits: true });
  const tiled: TilingOptions = { tilePx: 64, overlapPx: 8, batch: 3 };
  for (const [w, h] of [[131, 97], [64, 64], [37, 150]] as const) {
    const f = features(w, h, w * 1000 + h);
    const want = await probabilities(plain, tiled, f, w, h);
    let sum = 0;
    for (let i = 0; i < w * h; i++) for (let k = 0; k < 6; k++) sum += want[k * w * h + i];
    t.ok(Math.abs(sum / (w * h) - 1) < 1e-5, `${w}×${h}: the plain model's probabilities sum to 1`);
    for (const [name, dir] of [['logits', logits], ['packed logits', packed]] as const) {
      for (const [tn, tiling] of [['tiled', tiled], ['whole map', wholeMapTiling]] as const) {
        const got = await probabilities(dir, tiling, f, w, h);
        t.ok(maxAbsDiff(got, want) < 1e-6, `${w}×${h} ${name}, ${tn}: max difference ${maxAbsDiff(got, want)}`);
      }
    }
    // One call or tiles: a per-pixel model sees no seams either way.
    t.ok(maxAbsDiff(await probabilities(plain, wholeMapTiling, f, w, h), want) < 1e-6, `${w}×${h}: plain whole map = tiled`);
  }
});

t.test('a manifest whose blockPx is wrong, or whose sides disagree, is refused', async (t) => {
  const bytes = surfaceModelOnnx({ blockPx: 2, logits: true });
  for (const [edit, pattern] of [
    [(m: Record<string, any>) => { m.input.blockPx = 3; m.output.blockPx = 3; }, /"blockPx" must be 1, 2 or 4, got 3/],
    [(m: Record<string, any>) => { m.input.blockPx = 2; m.output.blockPx = 1; }, /"input.blockPx" \(2\) and "output.blockPx" \(1\) must be equal/],
    [(m: Record<string, any>) => { m.input.blockPx = 4; m.output.blockPx = 4; m.input.multipleOf = 2; }, /"input.multipleOf" \(2\) must be a multiple of "input.blockPx" \(4\)/],
    [(m: Record<string, any>) => { m.output.activation = 'sigmoid'; }, /activation "softmax" \(probabilities\) or "logits", got .* "sigmoid"/],
    [(m: Record<string, any>) => { m.output.activation = 'softmax'; }, /a packed output \("blockPx" 2\) must have activation "logits", got "softmax"/],
  ] as const) {
    const root = await mkdtemp(join(tmpdir(), 'gb-packed-bad-'));
    t.teardown(() => rm(root, { recursive: true, force: true }));
    const m: Record<string, any> = surfaceManifest(bytes, '1.0.0-test', { output: { name: 'logits', type: 'float32', layout: 'NCHW', classes: surfaceManifest(bytes, 'x').output.classes, activation: 'logits', blockPx: 2 } });
    m.input.blockPx = 2;
    edit(m);
    await writeFile(join(root, 'model.onnx'), bytes);
    await writeFile(join(root, 'manifest.json'), JSON.stringify(m));
    const err = await loadSurfaceDetector(root).then(() => undefined, (e: unknown) => e);
    t.ok(isGradeboothError(err) && err.code === 'GB_MODEL_INVALID' && pattern.test(err.message), `refused: ${String(err)}`);
  }
});

t.test('a packed model whose manifest says blockPx 1 fails at inference with a coded error, not garbage', async (t) => {
  const dir = await modelDir(t, 'mislabelled', weights, { blockPx: 2, logits: true });
  const { readFile } = await import('node:fs/promises');
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  delete m.input.blockPx;
  delete m.output.blockPx;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  const d = await loadSurfaceDetector(dir, { threads: 1 });
  t.teardown(() => d.close());
  const err = await d.probabilities(features(40, 40, 1), 40, 40).then(() => undefined, (e: unknown) => e);
  t.ok(isGradeboothError(err) && (err.code === 'GB_MODEL_FAILED' || err.code === 'GB_MODEL_INVALID'), `refused: ${String(err)}`);
});

t.test('the native unpacking (native/vision/tiles.c) gives the TypeScript reference\'s probabilities', async (t) => {
  const { loadVisionNative } = await import('../../../src/vision/native.ts');
  const { unpackTile, unpackTileAsync } = await import('../../../src/grading/surface/tile-layout.ts');
  const native = await loadVisionNative();
  if (!native?.unpackSoftmax) {
    t.fail('the vision addon is not built with unpackSoftmax (node native/vision/build.mjs)');
    return;
  }
  const rnd = mulberry32(7);
  // Two slots of a batch, a map that is not a multiple of the block, the second tile half off the map.
  const K = 6, b = 2, w = 301, h = 217, tileW = 192, tileH = 160;
  const logits = new Float32Array(2 * K * tileW * tileH);
  for (let i = 0; i < logits.length; i++) logits[i] = (rnd() - 0.5) * 30;
  for (const [slot, win, rows, cols] of [
    [0, { x0: -16, y0: -16, tileW, tileH }, [0, 128], [0, 160]],
    [1, { x0: 208, y0: 100, tileW, tileH }, [116, 217], [224, 301]],
  ] as const) {
    const ref = new Float32Array(K * w * h), got = new Float32Array(K * w * h);
    unpackTile(logits, K, win, b, slot, ref, w, h, [...rows], [...cols], true);
    await unpackTileAsync(logits, K, win, b, slot, got, w, h, [...rows], [...cols], true, { backend: 'native' });
    t.ok(maxAbsDiff(got, ref) < 1e-6, `slot ${slot}: max difference ${maxAbsDiff(got, ref)}`);
    let written = 0;
    for (let i = 0; i < w * h; i++) if (got[i] !== 0) written++;
    t.equal(written, (rows[1] - rows[0]) * (cols[1] - cols[0]), `slot ${slot}: exactly the rows × columns asked for are written`);
  }
  // Garbage in is refused before any memory is touched.
  const out = new Float32Array(K * w * h);
  const bad = (p: number[]) => native.unpackSoftmax!({ logits, slot: p[0], classes: K, block: b, win: { x0: p[1], y0: 0, tileW, tileH }, out, w, h, rows: [0, p[2]], cols: [0, 100] });
  // (The glue throws on the calling thread: nothing is queued.)
  await t.rejects(async () => bad([2, 0, 100]), /buffer sizes do not match/, 'a slot past the batch');
  await t.rejects(async () => bad([0, 0, tileH + 1]), /outside the map or the tile/, 'rows past the tile');
  await t.rejects(async () => bad([0, 50, 100]), /outside the map or the tile/, 'columns left of the tile');
});

t.test('the native packing (native/vision/tiles.c) fills a tile as the TypeScript reference does', async (t) => {
  const { loadVisionNative } = await import('../../../src/vision/native.ts');
  const { packTile, packTileAsync } = await import('../../../src/grading/surface/tile-layout.ts');
  const native = await loadVisionNative();
  if (!native?.packTile) {
    t.fail('the vision addon is not built with packTile (node native/vision/build.mjs)');
    return;
  }
  // A map that is not a multiple of the block; tiles inside it, over its top-left and its bottom-right corner,
  // one larger than the map, at block 1, 2 and 4 (x0 off the block grid too: the kernel takes any corner).
  const C = surfaceFeatureChannels, w = 301, h = 217;
  const f = features(w, h, 5);
  for (const b of [1, 2, 4]) {
    for (const [x0, y0, tileW, tileH] of [[40, 24, 96, 64], [-16, -8, 128, 96], [208, 150, 128, 96], [-3, -5, 320, 256], [250, 200, 64, 32]]) {
      const win = { x0, y0, tileW, tileH };
      const ref = new Float32Array(2 * C * tileW * tileH), got = new Float32Array(2 * C * tileW * tileH);
      packTile(f, w, h, C, win, b, ref, 1);
      await packTileAsync(f, w, h, C, win, b, got, 1, { backend: 'native' });
      let differ = 0;
      for (let i = 0; i < ref.length; i++) if (ref[i] !== got[i]) differ++;
      t.equal(differ, 0, `block ${b}, tile ${tileW}×${tileH} at (${x0}, ${y0}): the same ${ref.length} values`);
    }
  }
  // Garbage in is refused on the calling thread, before any memory is touched.
  const input = new Float32Array(C * 64 * 64);
  const bad = (slot: number, rows: [number, number], fw = w) => native.packTile!({ features: f, channels: C, w: fw, h, block: 2, win: { x0: 0, y0: 0, tileW: 64, tileH: 64 }, input, slot, rows });
  await t.rejects(async () => bad(1, [0, 64]), /buffer sizes do not match/, 'a slot past the batch');
  await t.rejects(async () => bad(0, [0, 65]), /rows outside the tile/, 'rows past the tile');
  await t.rejects(async () => bad(0, [0, 64], w + 1), /buffer sizes do not match/, 'features smaller than the map said');
});
