import t from 'tap';
import { privateDir } from './temp-dir.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';
import { parseDirections } from '../../src/calibration/chrome-folder.ts';
import { angleBetweenDeg } from '../../src/calibration/distant-lights.ts';

const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').at(-1) as string);

t.test('simulated chrome sphere in distant-light mode: within 0.5° mean of the simulator truth', async (t) => {
  const dir = privateDir(t, 'lights');
  const sim = join(dir, 'chrome');
  const r = await runCli(['sim', 'render', '--scene', 'chrome-sphere', '--distant-lights', '--size', '750x1024', '--seed', '3', '--out', sim]);
  t.equal(r.code, 0, r.code === 0 ? 'exits 0' : r.stderr);
  const out = join(dir, 'lights.txt');
  const c = await runCli(['calibrate', 'lights', '--chrome-sphere', sim, '--out', out, '--compare', join(sim, 'light_directions.txt'), '--json']);
  t.equal(c.code, 0, c.code === 0 ? 'exits 0' : c.stderr);
  const summary = lastJson(c.stdout);
  t.equal(summary.camera, 'perspective', 'the camera model in truth.json is used');
  const got = parseDirections(await readFile(out, 'utf8'));
  const truth = parseDirections(await readFile(join(sim, 'light_directions.txt'), 'utf8'));
  t.equal(got.length, truth.length);
  const errors = got.map((g, i) => angleBetweenDeg(g, truth[i]));
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  t.comment(`simulated chrome sphere: mean ${mean.toFixed(3)}°, max ${Math.max(...errors).toFixed(3)}° over ${errors.length} lights`);
  t.ok(mean <= 0.5, `mean ${mean.toFixed(3)}°`);
  t.ok(Math.abs(summary.meanErrorDeg - mean) < 1e-3, '--compare reports the same figure');
  for (const l of summary.lights) t.ok(Math.abs(Math.hypot(...l.direction) - 1) < 1e-5, `${l.file}: unit direction`);

  const o = await runCli(['calibrate', 'lights', '--chrome-sphere', sim, '--out', join(dir, 'ortho.txt'), '--orthographic', '--compare', join(sim, 'light_directions.txt'), '--json']);
  t.equal(o.code, 0, o.code === 0 ? 'exits 0' : o.stderr);
  t.ok(lastJson(o.stdout).meanErrorDeg > mean, `orthographic assumption on the 300 mm camera is worse: ${lastJson(o.stdout).meanErrorDeg}°`);
});

const psm = new URL('../../../shared/data/psm-uw/', import.meta.url);
t.test('psm-uw chrome through the CLI', { skip: existsSync(psm) ? false : `no public data at ${psm.pathname}` }, async (t) => {
  const out = join(privateDir(t, 'lights'), 'psm-lights.txt');
  const c = await runCli(['calibrate', 'lights', '--chrome-sphere', new URL('chrome', psm).pathname, '--out', out, '--compare', new URL('lights.txt', psm).pathname, '--json']);
  t.equal(c.code, 0, c.code === 0 ? 'exits 0' : c.stderr);
  const s = lastJson(c.stdout);
  t.equal(s.camera, 'orthographic');
  t.equal(s.images, 12);
  t.ok(s.meanErrorDeg < 3.2, `mean ${s.meanErrorDeg}°, max ${s.maxErrorDeg}°`);
  t.equal((await readFile(out, 'utf8')).trim().split('\n').length, 12);
});

t.test('usage errors', async (t) => {
  const r = await runCli(['calibrate', 'lights', '--out', '/tmp/x']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--chrome-sphere DIR is required/);
});
