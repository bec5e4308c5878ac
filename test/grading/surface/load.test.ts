import t, { type Test } from 'tap';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSurfaceDetector, resolveSurfaceModelDir, surfaceSessionOptions } from '../../../src/grading/surface/load.ts';
import { isGradeboothError } from '../../../src/core/errors.ts';

// The committed model (models/surface-defects/<highest version>/), found as the runtime finds it.
const modelsRoot = new URL('../../../models/', import.meta.url).pathname;

async function copyModel(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gb-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(await resolveSurfaceModelDir(modelsRoot), dir, { recursive: true });
  return dir;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  edit(m);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
}

async function refused(t: Test, dir: string, code: string, pattern: RegExp): Promise<void> {
  const err = await loadSurfaceDetector(dir).then(() => undefined, (e: unknown) => e);
  t.ok(isGradeboothError(err), `refused with a coded error (${String(err)})`);
  if (isGradeboothError(err)) {
    t.equal(err.code, code);
    t.match(err.message, pattern);
  }
}

t.test('the committed model loads from the models root and from its own folder, verified', async (t) => {
  const d = await loadSurfaceDetector(modelsRoot);
  t.equal(d.model.name, 'surface-defects');
  t.match(d.model.sha256, /^[0-9a-f]{64}$/);
  t.equal(d.manifest.input.umPerPx, 60);
  await d.close();
  const again = await loadSurfaceDetector(await resolveSurfaceModelDir(modelsRoot));
  t.equal(again.model.sha256, d.model.sha256);
  await again.close();
});

t.test('the session runs on the given threads, fully optimised, its pool threads not spinning (the cores are shared)', async (t) => {
  const o = surfaceSessionOptions(2);
  t.equal(o.intraOpNumThreads, 2);
  t.equal(o.interOpNumThreads, 1);
  t.equal(o.graphOptimizationLevel, 'all');
  t.same(o.extra, { session: { intra_op: { allow_spinning: '0' } } });
});

t.test('a model file that is not the one the manifest names is refused (sha256)', async (t) => {
  const dir = await copyModel(t);
  const bytes = await readFile(join(dir, 'model.onnx'));
  bytes[bytes.length - 100] ^= 0x55; // one flipped byte inside the weights
  await writeFile(join(dir, 'model.onnx'), bytes);
  await refused(t, dir, 'GB_MODEL_INVALID', /sha256 [0-9a-f]{64} .* does not match the manifest's/);
});

t.test('a manifest whose input spec is not what this runtime computes is refused', async (t) => {
  const dir = await copyModel(t);
  await editManifest(dir, (m) => { m.input.channels = ['nx', 'ny', 'nz', 'albedo', 'mask']; });
  await refused(t, dir, 'GB_MODEL_INVALID', /input\.channels" must be \["slope-x"/);
});

t.test('a manifest with a changed normalisation, schema or class list is refused', async (t) => {
  for (const [edit, pattern] of [
    [(m: Record<string, any>) => { m.normalisation.scales.reliefUm = 10; }, /"normalisation" must have scales/],
    [(m: Record<string, any>) => { m.format = 'something-else/2'; }, /"format" must be/],
    [(m: Record<string, any>) => { delete m.sha256; }, /"sha256" must be 64 lowercase hex digits/],
    [(m: Record<string, any>) => { m.output.classes = ['background', 'scratch']; }, /output\.classes/],
    [(m: Record<string, any>) => { m.file = '../elsewhere.onnx'; }, /"file" must be a file name/],
    [(m: Record<string, any>) => { m.postprocess.maxReliefMisfit = 2; }, /"maxReliefMisfit" must be a number 0\.\.1, got 2/],
    [(m: Record<string, any>) => { m.postprocess.maxReliefDepthUm = -5; }, /"maxReliefDepthUm" must be a number 1\.\.5000, got -5/],
    [(m: Record<string, any>) => { m.postprocess.minDentDepthUm = 'deep'; }, /"minDentDepthUm" must be a number 0\.\.1000, got "deep"/],
    [(m: Record<string, any>) => { m.postprocess.joinLinearGapMm = 80; }, /"joinLinearGapMm" must be a number 0\.\.50, got 80/],
    [(m: Record<string, any>) => { m.postprocess.maxPixelMisfit = -1; }, /"maxPixelMisfit" must be a number 0\.\.1, got -1/],
    [(m: Record<string, any>) => { m.postprocess.printLineMinContrast = 0; }, /"printLineMinContrast" must be a number 0\.0005\.\.1, got 0/],
    [(m: Record<string, any>) => { m.postprocess.printLineMinContrast = '0.005'; }, /"printLineMinContrast" must be a number 0\.0005\.\.1, got "0\.005"/],
  ] as const) {
    const dir = await copyModel(t);
    await editManifest(dir, edit);
    await refused(t, dir, 'GB_MODEL_INVALID', pattern);
  }
});

t.test('input/output names that the network does not have are refused after loading it', async (t) => {
  const dir = await copyModel(t);
  await editManifest(dir, (m) => { m.output.name = 'probabilities'; });
  await refused(t, dir, 'GB_MODEL_INVALID', /the network has inputs \["features"\], outputs \["logits"\], the manifest names input "features" and output "probabilities"/);
});

t.test('missing pieces are GB_MODEL_MISSING', async (t) => {
  const dir = await copyModel(t);
  await rm(join(dir, 'model.onnx'));
  await refused(t, dir, 'GB_MODEL_MISSING', /model\.onnx: missing/);
  const empty = await mkdtemp(join(tmpdir(), 'gb-models-'));
  t.teardown(() => rm(empty, { recursive: true, force: true }));
  await refused(t, empty, 'GB_MODEL_MISSING', /no manifest\.json here and no surface-defects\/<version>\/manifest\.json/);
  await writeFile(join(empty, 'manifest.json'), '{ not json');
  await refused(t, empty, 'GB_MODEL_INVALID', /not valid JSON/);
});
