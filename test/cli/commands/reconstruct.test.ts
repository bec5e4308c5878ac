import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../src/cli/main.ts';
import { writePhotometricFolder, decodeNormalsImage } from '../../../src/io/photometric-folder.ts';
import { readPng } from '../../../src/imaging/png.ts';
import { decodePfm } from '../../../src/imaging/pfm.ts';
import { ballScene, renderPlanes, ringLights } from '../../vision/scenes.ts';

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  return { stream: new Writable({ write(c, _e, cb) { buf += String(c); cb(); } }), text: () => buf };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, stopSignal: new AbortController().signal });
  return { code, out: out.text(), err: err.text() };
}

t.test('reconstruct → normals.png, albedo.png, depth.pfm, summary.json; integrate → depth.pfm', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gb-recon-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const W = 96, H = 80;
  const s = ballScene(W, H, 34);
  const dirs = ringLights([25, 55], 8);
  const planes = renderPlanes(s, 16, (i) => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1], { specular: 0.5, shininess: 40, noise: 0.002 });
  await writePhotometricFolder(join(root, 'in'), {
    width: W, height: H, directions: dirs, mask: s.mask, normalsTruth: s.normals,
    images: planes.map((data) => ({ width: W, height: H, channels: 1 as const, bitDepth: 16 as const, data })),
  });
  const r = await run(['reconstruct', '--input', join(root, 'in'), '--out', join(root, 'out'), '--json']);
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(await readFile(join(root, 'out', 'summary.json'), 'utf8'));
  t.same(summary.lights, Array.from({ length: 16 }, (_, i) => i + 1));
  t.ok(summary.normalError.meanDeg < 3.5, `mean error vs normal_gt ${summary.normalError.meanDeg.toFixed(2)}°`);
  t.ok(summary.timingsMs.total > 0);
  t.same(JSON.parse(r.out.trim()).normalError, summary.normalError, '--json prints the summary');
  const normals = await readPng(join(root, 'out', 'normals.png'));
  t.equal(normals.bitDepth, 16);
  t.equal(normals.channels, 3);
  const n = decodeNormalsImage(normals, 'normals.png');
  const c = 40 * W + 48;
  t.ok(Math.abs(n[3 * c + 2] - s.normals[3 * c + 2]) < 0.02, 'normal at the centre matches');
  const albedo = await readPng(join(root, 'out', 'albedo.png'));
  t.equal(albedo.bitDepth, 16);
  t.equal(albedo.channels, 1);
  const depth = decodePfm(await readFile(join(root, 'out', 'depth.pfm')));
  t.equal(depth.width, W);
  t.ok(depth.data[c] > depth.data[40 * W + 20], 'the ball bulges towards the camera');
  // Light subset.
  const sub = await run(['reconstruct', '--input', join(root, 'in'), '--out', join(root, 'sub'), '--lights', '1,3,5,7,9,11,13,15', '--method', 'ls']);
  t.equal(sub.code, 0, sub.err);
  const s2 = JSON.parse(await readFile(join(root, 'sub', 'summary.json'), 'utf8'));
  t.same(s2.lights, [1, 3, 5, 7, 9, 11, 13, 15]);
  t.equal(s2.method, 'ls');
  // integrate on the written normals with the mask.
  const ir = await run(['integrate', '--normals', join(root, 'out', 'normals.png'), '--mask', join(root, 'in', 'mask.png'), '--out', join(root, 'int')]);
  t.equal(ir.code, 0, ir.err);
  const d2 = decodePfm(await readFile(join(root, 'int', 'depth.pfm')));
  let worst = 0;
  for (let i = 0; i < W * H; i++) if (s.mask[i]) worst = Math.max(worst, Math.abs(d2.data[i] - depth.data[i]));
  t.ok(worst < 0.5, `integrate agrees with reconstruct's depth (worst ${worst.toFixed(3)} px; 16-bit normals)`);
});

t.test('bad input gives coded errors and exit 1 (usage errors exit 2)', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gb-recon-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const missing = await run(['reconstruct', '--input', join(root, 'nope'), '--out', join(root, 'o')]);
  t.equal(missing.code, 1);
  t.match(missing.err, /GB_DATASET_INVALID/);
  const s = ballScene(20, 20, 8);
  const dirs = ringLights([40], 4);
  const planes = renderPlanes(s, 4, (i) => [dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2], 1]);
  await writePhotometricFolder(join(root, 'in'), { width: 20, height: 20, directions: dirs, images: planes.map((data) => ({ width: 20, height: 20, channels: 1 as const, bitDepth: 16 as const, data })) });
  const badIndex = await run(['reconstruct', '--input', join(root, 'in'), '--out', join(root, 'o'), '--lights', '1,2,7']);
  t.equal(badIndex.code, 1);
  t.match(badIndex.err, /GB_DATASET_INVALID.*1 to 4/);
  const usage = await run(['reconstruct', '--input', join(root, 'in')]);
  t.equal(usage.code, 2);
  t.match(usage.err, /--out/);
  const badPng = await run(['integrate', '--normals', join(root, 'in', 'filenames.txt'), '--out', join(root, 'o')]);
  t.equal(badPng.code, 1);
  t.match(badPng.err, /GB_IMAGE_INVALID/);
  const grey = await run(['integrate', '--normals', join(root, 'in', '001.png'), '--out', join(root, 'o')]);
  t.equal(grey.code, 1);
  t.match(grey.err, /GB_IMAGE_INVALID.*RGB/);
});
