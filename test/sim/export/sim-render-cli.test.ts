// The simulator's acceptance checks on the real command's output: an independent least-squares solve
// with the renderer's own distant lights recovers normal_gt.png; the truth is complete; seeds reproduce.
import t from 'tap';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli.ts';
import { readPng } from '../../../src/imaging/png.ts';
import { decodePfm } from '../../../src/imaging/pfm.ts';
import { scoreFolderLs } from '../ls-photometric.ts';

const root = await mkdtemp(join(tmpdir(), 'gb-sim-render-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
// Smaller than the default 1500×2048 to keep the suite fast; same optics (the bench measures 12 MP).
const size = '750x1024';

t.test('card seed 11, distant lights: LS normals within 0.5° median of normal_gt.png', async (t) => {
  const out = join(root, 'card11');
  const r = await runCli(['sim', 'render', '--scene', 'card', '--seed', '11', '--distant-lights', '--size', size, '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  t.equal(summary.frames, 24);
  const score = await scoreFolderLs(out);
  t.ok(score.pixelsScored > 2000, `scored ${score.pixelsScored} 5×5 blocks`);
  t.ok(score.medianErrorDeg <= 0.5, `median error ${score.medianErrorDeg.toFixed(3)}° ≤ 0.5°`);
  t.comment(`LS vs GT: median ${score.medianErrorDeg.toFixed(3)}°, mean ${score.meanErrorDeg.toFixed(3)}°, p90 ${score.p90ErrorDeg.toFixed(3)}°`);

  const files = (await readFile(join(out, 'filenames.txt'), 'utf8')).trim().split('\n');
  t.equal(files.length, 24, 'filenames.txt lists 24 frames');
  const dirs = (await readFile(join(out, 'light_directions.txt'), 'utf8')).trim().split('\n').map((l) => l.split(' ').map(Number));
  t.ok(dirs.every((d) => Math.abs(Math.hypot(d[0], d[1], d[2]) - 1) < 1e-6 && d[2] > 0), 'unit light directions toward the camera side');
  const ints = (await readFile(join(out, 'light_intensities.txt'), 'utf8')).trim().split('\n');
  t.ok(ints.every((l) => l.split(' ').length === 3), 'light_intensities.txt has N × 3 values');
  const frame = await readPng(join(out, files[0]));
  t.same([frame.bitDepth, frame.channels, frame.width, frame.height], [16, 1, 750, 1024], '16-bit grey frames');
  const normals = await readPng(join(out, 'normal_gt.png'));
  t.same([normals.bitDepth, normals.channels], [16, 3], 'normal_gt.png is 16-bit RGB');

  const truth = JSON.parse(await readFile(join(out, 'truth.json'), 'utf8'));
  t.equal(truth.leds.length, 24, 'LED geometry in truth.json');
  t.ok(truth.camera.intrinsicsPx.fx > 0, 'camera model in truth.json');
  t.equal(truth.cornersPx.points.length, 4, 'card corners in pixels');
  for (const p of truth.cornersPx.points) t.ok(p[0] > 0 && p[0] < 750 && p[1] > 0 && p[1] < 1024, 'corner inside the image');
  t.ok(truth.centering.front.leftRight && truth.centering.back.topBottom, 'true centering front and back');
  t.ok(Array.isArray(truth.defects) && truth.defects.length > 0, 'defect list');
  const height = decodePfm(await readFile(join(out, truth.files.heightMap)));
  t.same([height.width, height.height], [750, 1024], 'height map as PFM');
  const mask = await readPng(join(out, 'mask.png'));
  for (const d of truth.defects) {
    t.ok((await stat(join(out, d.maskFile))).size > 0, `${d.kind} mask file ${d.maskFile}`);
    if (d.kind === 'dent' || d.kind === 'scratch' || d.kind === 'crease') t.ok(d.depthUm > 0 && d.lengthMm > 0 && d.widthMm > 0, `${d.kind} has depth and size`);
    if (d.kind === 'dent' && d.depthUm > 30) {
      // The dent is a real depression in the height map: its deepest pixel lies well below its rim.
      const m = await readPng(join(out, d.maskFile));
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < m.data.length; i++) {
        if (m.data[i] && mask.data[i]) {
          min = Math.min(min, height.data[i]);
          max = Math.max(max, height.data[i]);
        }
      }
      const drop = (max - min) * 1000;
      t.ok(drop > d.depthUm * 0.5 && drop < d.depthUm * 1.6, `dent depth in the height map ${drop.toFixed(1)} µm ~ truth ${d.depthUm.toFixed(1)} µm`);
    }
  }
});

t.test('near-field default exposure: ≤ 1% of card pixels saturated; seeds reproduce exactly', async (t) => {
  const a = join(root, 'a');
  const b = join(root, 'b');
  const c = join(root, 'c');
  const small = '300x410';
  for (const [dir, seed] of [[a, '5'], [b, '5'], [c, '6']]) {
    const r = await runCli(['sim', 'render', '--scene', 'card', '--seed', seed, '--size', small, '--out', dir, '--foil']);
    t.equal(r.code, 0, r.stderr);
  }
  const truth = JSON.parse(await readFile(join(a, 'truth.json'), 'utf8'));
  t.ok(truth.frames.saturatedObjectPixelFraction <= 0.01, `saturated ${(truth.frames.saturatedObjectPixelFraction * 100).toFixed(3)}% ≤ 1%`);
  t.ok(truth.card.foil, 'foil card');
  const fa = await readFile(join(a, 'led_07.png'));
  const fb = await readFile(join(b, 'led_07.png'));
  const fc = await readFile(join(c, 'led_07.png'));
  t.ok(fa.equals(fb), 'same seed → identical frames');
  t.notOk(fa.equals(fc), 'different seed → different frames');
  t.equal(await readFile(join(a, 'truth.json'), 'utf8'), await readFile(join(b, 'truth.json'), 'utf8'), 'same seed → identical truth');
});

t.test('usage errors are reported with GB_USAGE', async (t) => {
  const r = await runCli(['sim', 'render', '--scene', 'teapot', '--out', join(root, 'x')]);
  t.equal(r.code, 2);
  t.match(r.stderr, /GB_USAGE.*--scene/);
  const s = await runCli(['sim', 'render', '--size', '100x100', '--out', join(root, 'y')]);
  t.equal(s.code, 2);
  t.match(s.stderr, /aspect/);
});
