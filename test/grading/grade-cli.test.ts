import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';

t.test('grade refuses to grade without its surface model (GB_MODEL_MISSING), before any work', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-grade-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['grade', '--input', join(dir, 'no-such-capture'), '--models', join(dir, 'models'), '--json']);
  t.equal(r.code === 0, false, 'fails');
  t.match(r.stderr, /GB_MODEL_MISSING/, `says the model is missing: ${r.stderr.trim()}`);
  t.equal(r.stdout.trim(), '', 'prints no grade');
});

t.test('grade: usage errors', async (t) => {
  const noInput = await runCli(['grade', '--json']);
  t.match(noInput.stderr, /GB_USAGE/, 'missing --input');
  const badScale = await runCli(['grade', '--input', '.', '--um-per-px', 'abc']);
  t.match(badScale.stderr, /GB_USAGE.*--um-per-px/, 'bad --um-per-px');
  const badSide = await runCli(['grade', '--input', '.', '--side', 'middle']);
  t.match(badSide.stderr, /GB_USAGE.*--side/, 'bad --side');
});

t.test('grade refuses a model folder whose manifest is unreadable (GB_MODEL_INVALID), never grades without it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-grade-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const modelDir = join(dir, 'models', 'surface-defects', '1.0.0');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'manifest.json'), '{ not json');
  await writeFile(join(modelDir, 'model.onnx'), 'not a network');
  const r = await runCli(['grade', '--input', join(dir, 'no-such-capture'), '--models', join(dir, 'models'), '--json']);
  t.equal(r.code === 0, false, 'fails');
  t.match(r.stderr, /GB_MODEL_INVALID.*manifest\.json/, `names the bad manifest: ${r.stderr.trim()}`);
  t.equal(r.stdout.trim(), '', 'prints no grade');
});
