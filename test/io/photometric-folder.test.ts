import t from 'tap';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLightSelection, readPhotometricFolder, writePhotometricFolder } from '../../src/io/photometric-folder.ts';
import { encodePng } from '../../src/imaging/png.ts';
import { ballScene, renderPlanes, ringLights } from '../vision/scenes.ts';

async function ballFolder(dir: string, rgb = false): Promise<void> {
  const s = ballScene(40, 30, 12);
  const dirs = ringLights([40], 6);
  const planes = renderPlanes(s, 6, (i) => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1]);
  const images = planes.map((p) => {
    if (!rgb) return { width: 40, height: 30, channels: 1 as const, bitDepth: 16 as const, data: p };
    // Colour light: channel c scaled by (1, 0.5, 2) — light_intensities.txt undoes it.
    const d = new Uint16Array(40 * 30 * 3);
    for (let i = 0; i < p.length; i++) { d[3 * i] = p[i]; d[3 * i + 1] = Math.round(p[i] * 0.5); d[3 * i + 2] = Math.min(65535, p[i] * 2); }
    return { width: 40, height: 30, channels: 3 as const, bitDepth: 16 as const, data: d };
  });
  await writePhotometricFolder(dir, {
    width: 40, height: 30, images, directions: dirs, mask: s.mask, normalsTruth: s.normals,
    intensities: rgb ? Array.from({ length: 6 }, () => [1, 0.5, 2]).flat() : undefined,
  });
}

t.test('write and read a common-format folder (grey 16-bit, mask, normal_gt)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-psf-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await ballFolder(dir);
  const ds = await readPhotometricFolder(dir);
  t.equal(ds.planes.length, 6);
  t.equal(ds.width, 40);
  t.ok(ds.planes[0] instanceof Uint16Array, 'grey 16-bit planes stay integer (fast path)');
  t.ok(ds.mask && ds.mask.some((v) => v === 1) && ds.mask.some((v) => v === 0));
  const centre = 15 * 40 + 20;
  t.ok(ds.normalsTruth && Math.abs(ds.normalsTruth[3 * centre + 2] - 1) < 0.01, 'normal_gt decodes to unit normals');
  const sub = await readPhotometricFolder(dir, [0, 2, 4]);
  t.same(sub.lightNumbers, [1, 3, 5]);
  t.same(Array.from(sub.directions.slice(3, 6)), Array.from(ds.directions.slice(6, 9)));
});

t.test('RGB images with RGB intensities fold into one grey plane', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-psf-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await ballFolder(dir, true);
  const ds = await readPhotometricFolder(dir);
  t.ok(ds.planes[0] instanceof Float32Array);
  const grey = await mkdtemp(join(tmpdir(), 'gb-psf-'));
  t.teardown(() => rm(grey, { recursive: true, force: true }));
  await ballFolder(grey);
  const ref = await readPhotometricFolder(grey);
  let worst = 0;
  for (let i = 0; i < ref.planes[1].length; i++) worst = Math.max(worst, Math.abs(ds.planes[1][i] - ref.planes[1][i]));
  t.ok(worst <= 1, `per-channel intensities undone (worst ${worst})`);
});

t.test('bad folders fail with clear codes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-psf-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_DATASET_INVALID', message: /filenames\.txt/ });
  await ballFolder(dir);
  await t.rejects(readPhotometricFolder(dir, [0, 1]), { code: 'GB_DATASET_INVALID', message: /at least 3/ });
  await t.rejects(readPhotometricFolder(dir, [0, 1, 9]), { code: 'GB_DATASET_INVALID' });
  // Mismatched image size.
  await writeFile(join(dir, '003.png'), await encodePng({ width: 10, height: 10, channels: 1, bitDepth: 8, data: new Uint8Array(100) }));
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_IMAGE_INVALID', message: /003\.png/ });
  // Missing image.
  await unlink(join(dir, '003.png'));
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_IMAGE_INVALID', message: /003\.png/ });
  // Direction count differs from file count; zero lights; garbage numbers.
  await writeFile(join(dir, 'light_directions.txt'), '0 0 1\n0 1 1\n');
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_DATASET_INVALID', message: /6 file names but 2/ });
  await writeFile(join(dir, 'light_directions.txt'), '0 0 one\n');
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_DATASET_INVALID', message: /line 1/ });
  await writeFile(join(dir, 'filenames.txt'), '\n');
  await writeFile(join(dir, 'light_directions.txt'), '');
  await t.rejects(readPhotometricFolder(dir), { code: 'GB_DATASET_INVALID', message: /zero lights/ });
});

t.test('--lights parsing', async (t) => {
  t.same(parseLightSelection('1,5,9', 12), [0, 4, 8]);
  t.throws(() => parseLightSelection('0,1,2', 12), { code: 'GB_DATASET_INVALID' });
  t.throws(() => parseLightSelection('1,2,13', 12), { code: 'GB_DATASET_INVALID' });
  t.throws(() => parseLightSelection('1,2,2', 12), { code: 'GB_DATASET_INVALID', message: /twice/ });
  t.throws(() => parseLightSelection('1,x,3', 12), { code: 'GB_DATASET_INVALID' });
  t.throws(() => parseLightSelection('1,2', 12), { code: 'GB_DATASET_INVALID', message: /at least 3/ });
  t.throws(() => parseLightSelection('', 12), { code: 'GB_DATASET_INVALID' });
});

t.test('colour images: markClipped turns a pixel with any channel at full scale into +Infinity, which the robust solve skips', async (t) => {
  const { renderShinySphere, writeShinySphereFolder } = await import('../vision/diligent-like.ts');
  const { distantLights } = await import('../../src/vision/lights.ts');
  const { normalError, solvePhotometricStereo } = await import('../../src/vision/ps.ts');
  const dir = await mkdtemp(join(tmpdir(), 'gb-clip-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Strong, sharp highlights on a bright exposure: many readings clip in one or more channels.
  const cap = renderShinySphere({ sizePx: 72, radiusPx: 31, roughness: 0.15, specular: 20, scale: 30000, seed: 3 });
  await writeShinySphereFolder(dir, cap);
  const plain = await readPhotometricFolder(dir);
  const marked = await readPhotometricFolder(dir, undefined, { markClipped: true });
  let clipped = 0, wrong = 0;
  cap.images.forEach((img, k) => {
    for (let p = 0; p < img.width * img.height; p++) {
      const isClipped = img.data[3 * p] === 65535 || img.data[3 * p + 1] === 65535 || img.data[3 * p + 2] === 65535;
      const v = marked.planes[k][p];
      if (isClipped) clipped++;
      if (isClipped ? v !== Infinity : v !== plain.planes[k][p]) wrong++;
    }
  });
  t.ok(clipped > 500, `${clipped} clipped readings in the capture`);
  t.equal(wrong, 0, 'Infinity exactly where a channel is at full scale; other readings unchanged');
  const field = distantLights(plain.width, plain.height, plain.directions, plain.intensities);
  const valid = cap.mask;
  const withClipped = normalError((await solvePhotometricStereo(plain.planes, field, { mask: plain.mask, method: 'robust' })).normals, cap.normals, valid);
  const skipped = normalError((await solvePhotometricStereo(marked.planes, field, { mask: marked.mask, method: 'robust' })).normals, cap.normals, valid);
  t.comment(`robust mean error: ${withClipped.meanDeg.toFixed(2)}° using clipped readings, ${skipped.meanDeg.toFixed(2)}° skipping them`);
  t.ok(skipped.meanDeg < 0.85 * withClipped.meanDeg, 'skipping clipped readings is clearly better');
  t.ok(Number.isFinite(skipped.meanDeg), 'no pixel is poisoned by the Infinity readings');
  const ts = normalError((await solvePhotometricStereo(marked.planes, field, { mask: marked.mask, method: 'robust', backend: 'ts' })).normals, cap.normals, valid);
  t.ok(Math.abs(ts.meanDeg - skipped.meanDeg) < 0.05, `the TypeScript kernel skips them alike (${ts.meanDeg.toFixed(2)}°)`);
});
