// The surface network on a thread of its own (network-session.ts, network-worker.ts): the daemon's event
// loop keeps turning during a call, the results are onnxruntime's own, and a failing or dying network
// thread fails its calls with a reason (GB_MODEL_FAILED from the detector), never hangs them.
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { isGradeboothError } from '../../../src/core/errors.ts';
import { loadSurfaceDetector, readVerifiedSurfaceModel, resolveSurfaceModelDir, surfaceSessionOptions } from '../../../src/grading/surface/load.ts';
import { WorkerNetworkSession } from '../../../src/grading/surface/network-session.ts';
import { surfaceFeatureChannels } from '../../../src/grading/surface/features.ts';

const modelsRoot = fileURLToPath(new URL('../../../models/', import.meta.url));
const modelDir = await resolveSurfaceModelDir(modelsRoot);
const { manifest, bytes } = await readVerifiedSurfaceModel(modelDir);
const b = manifest.input.blockPx ?? 1;
const K = manifest.output.classes.length;
// One 224-px tile as the network takes it: [1, channels·b², 224/b, 224/b].
const tilePx = 224;
const dims = [1, surfaceFeatureChannels * b * b, tilePx / b, tilePx / b];

function seededInput(seed: number): Float32Array {
  const x = new Float32Array(dims.reduce((a, v) => a * v, 1));
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return x;
}

t.test('a call runs on the network thread: the event loop turns throughout it; the input comes back', async (t) => {
  const s = await WorkerNetworkSession.create(bytes, surfaceSessionOptions(2));
  t.teardown(() => s.release());
  t.same(s.inputNames, [manifest.input.name]);
  t.same(s.outputNames, [manifest.output.name]);
  // Calls the size the detector makes (two 448-px tiles), three of them: one call can be short of turns when
  // the machine's other work takes the main thread's core for a while.
  const big = [2, dims[1], 448 / b, 448 / b];
  let input: Float32Array = new Float32Array(big.reduce((a, v) => a * v, 1)).fill(0.25);
  const n = input.length;
  const turnsPerCall: number[] = [];
  for (let k = 0; k < 3; k++) {
    let done = false;
    const call = s.run(manifest.input.name, manifest.output.name, input, big).finally(() => { done = true; });
    t.equal(input.length, 0, 'the input is handed over while the call runs (moved, not copied)');
    let turns = 0;
    while (!done) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const r = await call;
    turnsPerCall.push(turns);
    t.equal(r.input.length, n, 'the input buffer comes back whole, for the next call');
    t.equal(r.output?.length, 2 * K * b * b * (448 / b) ** 2, 'one output value per class and pixel');
    input = r.input;
  }
  // onnxruntime-node's run() on this thread blocks it for the whole call: at most 2 turns per call (6 in all).
  const total = turnsPerCall.reduce((a, v) => a + v, 0);
  t.ok(total > 30, `event-loop turns during the calls: ${turnsPerCall.join(', ')}`);
});

t.test('the results are onnxruntime\'s own on the calling thread, bit for bit', async (t) => {
  const s = await WorkerNetworkSession.create(bytes, surfaceSessionOptions(2));
  t.teardown(() => s.release());
  const local = await ort.InferenceSession.create(bytes, surfaceSessionOptions(2));
  t.teardown(() => local.release());
  for (const seed of [2, 3]) {
    const input = seededInput(seed);
    const expected = (await local.run({ [manifest.input.name]: new ort.Tensor('float32', input.slice(), dims) }))[manifest.output.name].data as Float32Array;
    const got = await s.run(manifest.input.name, manifest.output.name, input, dims);
    t.ok(got.output && Buffer.from(got.output.buffer, got.output.byteOffset, got.output.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), `seed ${seed}: identical logits`);
  }
});

t.test('a call onnxruntime refuses fails with its reason; the session runs the next call', async (t) => {
  const s = await WorkerNetworkSession.create(bytes, surfaceSessionOptions(1));
  t.teardown(() => s.release());
  const wrong = [1, dims[1] - 1, dims[2], dims[3]];
  const err = await s.run(manifest.input.name, manifest.output.name, new Float32Array(wrong.reduce((a, v) => a * v, 1)), wrong).then(() => undefined, (e: unknown) => e);
  t.match(String(err), /channel|dimension|index|shape/i, `refused: ${String(err)}`);
  const r = await s.run(manifest.input.name, manifest.output.name, seededInput(4), dims);
  t.equal(r.output?.length, K * b * b * (tilePx / b) ** 2);
});

t.test('bytes onnxruntime cannot load are refused with its reason, the thread stopped (GB_MODEL_INVALID from the loader)', async (t) => {
  await t.rejects(WorkerNetworkSession.create(new Uint8Array([1, 2, 3, 4, 5]), surfaceSessionOptions(1)), /protobuf|parse|model|load/i);
  // Through the loader: garbage whose manifest names it (sha256 and size match), so only onnxruntime objects.
  const dir = await mkdtemp(join(tmpdir(), 'gb-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(modelDir, dir, { recursive: true });
  const garbage = Buffer.from('not an onnx model, whatever its manifest says');
  await writeFile(join(dir, 'model.onnx'), garbage);
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  m.sha256 = createHash('sha256').update(garbage).digest('hex');
  m.sizeBytes = garbage.length;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  const err = await loadSurfaceDetector(dir).then(() => undefined, (e: unknown) => e);
  t.ok(isGradeboothError(err) && err.code === 'GB_MODEL_INVALID' && /onnxruntime cannot load it/.test(err.message), `refused: ${String(err)}`);
});

t.test('a network thread that dies fails the call in flight and every later one: GB_MODEL_FAILED, no hang', async (t) => {
  const d = await loadSurfaceDetector(modelDir, { threads: 1 });
  t.teardown(() => d.close());
  const w = 300, h = 300;
  const features = new Float32Array(surfaceFeatureChannels * w * h);
  t.equal((await d.probabilities(features, w, h)).data.length, K * w * h, 'runs before');
  const running = d.probabilities(features, w, h);
  // As if the thread were killed (out of memory, a crash in the runtime) while the side was being inferred.
  await (d as unknown as { session: { worker: { terminate(): Promise<number> } } }).session.worker.terminate();
  for (const call of [running, d.probabilities(features, w, h)]) {
    const err = await call.then(() => undefined, (e: unknown) => e);
    t.ok(isGradeboothError(err) && err.code === 'GB_MODEL_FAILED' && /network thread exited/.test(err.message), `failed: ${String(err)}`);
  }
});

t.test('a loaded detector never closed does not keep the process from exiting', async (t) => {
  const script = `import { loadSurfaceDetector } from ${JSON.stringify(new URL('../../../src/grading/surface/load.ts', import.meta.url).href)};
const d = await loadSurfaceDetector(${JSON.stringify(modelDir)}, { threads: 1 });
const p = await d.probabilities(new Float32Array(${surfaceFeatureChannels} * 64 * 64), 64, 64);
console.log('ran', p.data.length);`;
  const started = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
  t.match(stdout, new RegExp(`ran ${K * 64 * 64}`));
  t.ok(Date.now() - started < 60_000, 'exited on its own');
});
