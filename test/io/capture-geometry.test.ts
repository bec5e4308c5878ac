// `reconstruct` on a near-field simulator capture: with truth.json's camera and LED geometry the normals
// match normal_gt.png to well under 1°; with the folder's single direction per LED (distant model) they
// are degrees off. Both run the real commands on a real rendered folder.
import t from 'tap';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';
import { readNearFieldGeometry } from '../../src/io/capture-geometry.ts';

const root = await mkdtemp(join(tmpdir(), 'gb-capture-geometry-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const capture = join(root, 'card');

interface Summary { lightModel: string; lightSource: string; lights: number[]; normalError: { meanDeg: number; medianDeg: number } }
const lastJson = (stdout: string): Summary => JSON.parse(stdout.trim().split('\n').pop() as string) as Summary;

t.before(async () => {
  const r = await runCli(['sim', 'render', '--scene', 'card', '--seed', '5', '--size', '375x512', '--out', capture]);
  if (r.code !== 0) throw new Error(r.stderr);
});

t.test('auto picks the near-field geometry of truth.json and beats the distant directions', async (t) => {
  const near = await runCli(['reconstruct', '--input', capture, '--out', join(root, 'near'), '--json']);
  t.equal(near.code, 0, near.stderr);
  const n = lastJson(near.stdout);
  t.equal(n.lightModel, 'near-field');
  t.match(n.lightSource, /truth\.json$/);
  t.ok(n.normalError.meanDeg <= 1, `near-field mean error ${n.normalError.meanDeg.toFixed(3)}° ≤ 1°`);

  const far = await runCli(['reconstruct', '--input', capture, '--out', join(root, 'far'), '--light-model', 'distant', '--json']);
  t.equal(far.code, 0, far.stderr);
  const f = lastJson(far.stdout);
  t.equal(f.lightModel, 'distant');
  t.ok(f.normalError.meanDeg > 3 * n.normalError.meanDeg, `distant ${f.normalError.meanDeg.toFixed(2)}° vs near-field ${n.normalError.meanDeg.toFixed(2)}°`);
  t.comment(`near-field ${n.normalError.meanDeg.toFixed(3)}° mean, distant ${f.normalError.meanDeg.toFixed(3)}° mean`);
});

t.test('a light subset keeps each frame with its own LED', async (t) => {
  const r = await runCli(['reconstruct', '--input', capture, '--out', join(root, 'sub'), '--lights', '2,5,9,13,17,21,24', '--light-model', 'near-field', '--json']);
  t.equal(r.code, 0, r.stderr);
  const s = lastJson(r.stdout);
  t.same(s.lights, [2, 5, 9, 13, 17, 21, 24]);
  t.ok(s.normalError.meanDeg <= 1.5, `7 lights: mean ${s.normalError.meanDeg.toFixed(3)}°`);
});

t.test('LED positions come out in the view axes of the normals', async (t) => {
  const names = (await readFile(join(capture, 'filenames.txt'), 'utf8')).trim().split('\n');
  const g = await readNearFieldGeometry(capture, names, names.map((_, i) => i), 375, 512);
  t.ok(g, 'geometry found');
  const truth = JSON.parse(await readFile(join(capture, 'truth.json'), 'utf8')) as { leds: Array<{ positionMm: number[] }> };
  // The simulated camera looks straight down with image y up along world y: view axes = world axes.
  t.same(Array.from(g!.rig.ledPositionsMm).slice(0, 3).map((v) => Number(v.toFixed(6))), truth.leds[0].positionMm);
  const [x, y, z] = g!.rig.pointMm(375 / 2 - 0.5, 512 / 2 - 0.5);
  t.ok(Math.hypot(x, y) < 0.05 && Math.abs(z - g!.surfaceZMm) < 1e-9, `image centre → (${x.toFixed(3)}, ${y.toFixed(3)}, ${z.toFixed(3)}) mm on the plane`);
});

t.test('bad geometry is a clear error; a folder without truth.json falls back to distant only on auto', async (t) => {
  const bad = join(root, 'bad');
  await cp(capture, bad, { recursive: true });
  const truth = JSON.parse(await readFile(join(bad, 'truth.json'), 'utf8')) as { frames: { files: string[] }; leds: unknown[] };
  truth.frames.files.reverse();
  await writeFile(join(bad, 'truth.json'), JSON.stringify(truth));
  const r = await runCli(['reconstruct', '--input', bad, '--out', join(root, 'bad-out')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /GB_DATASET_INVALID/);
  t.match(r.stderr, /frame 1 is led_23\.png but filenames\.txt lists led_00\.png/);

  truth.frames.files.reverse();
  truth.leds.pop();
  await writeFile(join(bad, 'truth.json'), JSON.stringify(truth));
  const short = await runCli(['reconstruct', '--input', bad, '--out', join(root, 'bad-out')]);
  t.equal(short.code, 1);
  t.match(short.stderr, /frames\.files and leds\[\] are missing or differ in length/);

  await rm(join(bad, 'truth.json'));
  const forced = await runCli(['reconstruct', '--input', bad, '--out', join(root, 'bad-out'), '--light-model', 'near-field']);
  t.equal(forced.code, 1);
  t.match(forced.stderr, /--light-model near-field needs a truth\.json/);
  const auto = await runCli(['reconstruct', '--input', bad, '--out', join(root, 'auto-out'), '--json']);
  t.equal(auto.code, 0, auto.stderr);
  t.equal(lastJson(auto.stdout).lightModel, 'distant');

  const usage = await runCli(['reconstruct', '--input', bad, '--out', join(root, 'x'), '--light-model', 'spot']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--light-model: expected auto, distant or near-field, got "spot"/);
});
