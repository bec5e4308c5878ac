import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { ARENA_HEADER_BYTES, arenaFloat32, createSensorArena, loadSensorWasm, SEGMENT_PX, synthesizeRows, type SynthesisJob } from '../../../src/sim/render/sensor-kernel.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';

const sensor = { fullWellE: 10500, readNoiseE: 2.4, blackLevelDn: 64, adcMax: 4095 };

/** A basis with a ramp from dark to past full well (at weight 1000) plus pixel-scale structure. */
function rampBasis(width: number, height: number): Float32Array {
  const b = new Float32Array(width * height);
  for (let i = 0; i < b.length; i++) b[i] = ((i % width) / width) * 14 + (i % 7) * 0.013;
  return b;
}

function run(job: Omit<SynthesisJob, 'out' | 'rowStart' | 'rowEnd'>, height: number, kernel: 'js' | 'wasm', split = 1): Uint16Array {
  const out = new Uint16Array(job.width * height);
  for (let s = 0; s < split; s++) {
    synthesizeRows({ ...job, out, kernel, rowStart: Math.floor((height * s) / split), rowEnd: Math.floor((height * (s + 1)) / split) });
  }
  return out;
}

t.test('the SIMD exposure kernel gives exactly the JS reference codes', async (t) => {
  t.ok(loadSensorWasm(), 'WebAssembly SIMD kernel loads');
  // 4101 wide: one full segment plus a 5-pixel tail (not a multiple of 8).
  const width = SEGMENT_PX + 5;
  const height = 6;
  const a = rampBasis(width, height);
  const b = a.map((v, i) => (i % 11) * 0.1 + v * 0.5);
  for (const pack of ['raw', 'msb16', 'msb8'] as const) {
    for (const [basis, weights] of [[[], []], [[a], [1000]], [[a, b], [700, 333.3]]] as [Float32Array[], number[]][]) {
      for (const noise of [true, false]) {
        const job = { width, basis, weights, sensor, gain: 2, seed: 42, noise, pack };
        const js = run(job, height, 'js');
        const wasm = run(job, height, 'wasm');
        let diff = 0;
        for (let i = 0; i < js.length; i++) if (js[i] !== wasm[i]) diff++;
        t.equal(diff, 0, `${pack}, ${basis.length} LEDs, noise ${noise}: ${diff} differing pixels`);
      }
    }
  }
  const full = run({ width, basis: [a], weights: [1000], sensor, gain: 1, seed: 1, noise: true, pack: 'raw' }, height, 'wasm');
  t.equal(Math.max(...full), 4095, 'the ramp reaches ADC saturation');
  t.ok(Math.min(...full) < 80, 'and the dark end sits near the black level');
});

t.test('bases in a shared arena are read in place with the same result as copied rows', async (t) => {
  const width = 1000;
  const height = 12;
  const plain = rampBasis(width, height);
  const arena = createSensorArena(2 * width * height * 4);
  t.ok(arena, 'shared WebAssembly memory available');
  if (!arena) return;
  // The second basis slot ends at the very end of the arena's basis space (tail reads must stay inside).
  const inArena = arenaFloat32(arena, ARENA_HEADER_BYTES + width * height * 4, width * height);
  inArena.set(plain);
  for (const pack of ['raw', 'msb16'] as const) {
    const job = { width, basis: [plain], weights: [900], sensor, gain: 1, seed: 5, noise: true, pack };
    const copied = run(job, height, 'wasm');
    const inPlace = run({ ...job, basis: [inArena], arena }, height, 'wasm', 2);
    t.same(inPlace, copied, `${pack}: in place = copied`);
    t.same(run({ ...job, basis: [inArena], arena }, height, 'js'), copied, `${pack}: JS reference on the arena view agrees`);
  }
});

t.test('a scene renders the same frames on 2 workers as on the calling thread', async (t) => {
  const geometry = withCameraSize(await loadBoothGeometry(), 300, 410);
  const { scene } = buildScene({ kind: 'card', seed: 2, geometry, config: await loadSceneConfig() });
  const frames: Uint16Array[] = [];
  for (const threads of [0, 2]) {
    // The WebAssembly kernels on the render workers (the native kernels are compared in native-shading.test.ts).
    const r = new SceneRenderer({ geometry, threads, backend: 'wasm' });
    await r.start();
    t.teardown(() => r.stop());
    r.setScene(scene);
    frames.push(await r.expose({ levels: Array.from({ length: 24 }, (_, k) => (k === 5 ? 4095 : 0)), exposureUs: 9000, seed: 77, pack: 'msb16' }));
    frames.push(await r.expose({ levels: Array.from({ length: 24 }, (_, k) => (k === 5 || k === 17 ? 2000 : 0)), exposureUs: 9000, seed: 78 }));
  }
  t.same(frames[2], frames[0], 'one LED: identical frames');
  t.same(frames[3], frames[1], 'two LEDs: identical frames');
  t.ok(frames[0].some((v) => v > 64 * 16 * 4), 'the frame is lit');
});

t.test('a new scene reuses the basis arena with the new scene\'s bases; recycled frame buffers', async (t) => {
  const geometry = withCameraSize(await loadBoothGeometry(), 150, 205);
  const config = await loadSceneConfig();
  const a = buildScene({ kind: 'card', seed: 3, geometry, config }).scene;
  const b = buildScene({ kind: 'relief', seed: 4, geometry, config }).scene;
  const levels = Array.from({ length: 24 }, (_, k) => (k === 9 ? 4095 : 0));
  // The arena belongs to the WebAssembly path.
  const r = new SceneRenderer({ geometry, threads: 0, backend: 'wasm' });
  r.setScene(a);
  const first = await r.expose({ levels, exposureUs: 8000, seed: 1 });
  r.setScene(b);
  const reused = await r.expose({ levels, exposureUs: 8000, seed: 1 });
  const fresh = new SceneRenderer({ geometry, threads: 0, backend: 'wasm' });
  fresh.setScene(b);
  t.same(reused, await fresh.expose({ levels, exposureUs: 8000, seed: 1 }), 'scene b after scene a = scene b on a new renderer');
  let changed = 0;
  for (let i = 0; i < first.length; i++) if (first[i] !== reused[i]) changed++;
  t.ok(changed > first.length / 10, `and differs from scene a (${changed} pixels)`);
  const out = new Uint16Array(new SharedArrayBuffer(150 * 205 * 2)).fill(7);
  const filled = await r.expose({ levels, exposureUs: 8000, seed: 1, out });
  t.equal(filled, out, 'the caller\'s buffer is returned');
  t.same(out, reused, 'and holds the frame');
  await t.rejects(r.expose({ levels, exposureUs: 8000, seed: 1, out: new Uint16Array(10) }), { code: 'GB_INTERNAL' }, 'a buffer of the wrong size is refused');
});

t.test('noise is deterministic per seed and independent of the row split', async (t) => {
  const width = 640;
  const height = 40;
  const job = { width, basis: [rampBasis(width, height)], weights: [300], sensor, gain: 1, seed: 9, noise: true, pack: 'raw' as const };
  const one = run(job, height, 'wasm');
  t.same(run(job, height, 'wasm', 3), one, 'three row bands = one band');
  t.same(run(job, height, 'js', 2), one, 'JS reference in two bands = SIMD in one');
  const other = run({ ...job, seed: 10 }, height, 'wasm');
  let same = 0;
  for (let i = 0; i < one.length; i++) if (one[i] === other[i]) same++;
  t.ok(same < one.length * 0.2, `another seed gives another frame (${same} equal pixels)`);
});

t.test('noise statistics: variance = (shot + read) × gain², zero mean, no correlation between neighbours', async (t) => {
  const width = 1024;
  const height = 256;
  const kDnPerE = (sensor.adcMax - sensor.blackLevelDn) / sensor.fullWellE;
  for (const [electrons, gain] of [[0, 1], [50, 1], [2000, 1], [500, 4]]) {
    const flat = new Float32Array(width * height).fill(electrons / 1000);
    const job = { width, basis: [flat], weights: [1000], sensor, gain, seed: 3, noise: true, pack: 'raw' as const };
    const frame = run(job, height, 'wasm');
    const mean = sensor.blackLevelDn + electrons * kDnPerE * gain;
    const expected = (kDnPerE * gain) ** 2 * (electrons + sensor.readNoiseE ** 2) + 1 / 12;
    let s = 0;
    let s2 = 0;
    let lag1 = 0;
    let lag4 = 0;
    for (let i = 0; i < frame.length; i++) {
      const d = frame[i] - mean;
      s += d;
      s2 += d * d;
      if (i % width >= 1) lag1 += d * (frame[i - 1] - mean);
      if (i % width >= 4) lag4 += d * (frame[i - 4] - mean);
    }
    const n = frame.length;
    const variance = s2 / n;
    t.ok(Math.abs(variance / expected - 1) < 0.03, `${electrons} e⁻ gain ${gain}: variance ${variance.toFixed(3)} DN² vs model ${expected.toFixed(3)} DN²`);
    t.ok(Math.abs(s / n) < 5 * Math.sqrt(expected / n) + 0.02, `zero mean (${(s / n).toFixed(4)} DN)`);
    // Neighbours come from different streams (lag 1) or the next draw of the same stream (lag 4).
    t.ok(Math.abs(lag1 / s2) < 0.02 && Math.abs(lag4 / s2) < 0.02, `uncorrelated neighbours (lag 1 ${(lag1 / s2).toFixed(4)}, lag 4 ${(lag4 / s2).toFixed(4)})`);
  }
});

const wasmDir = fileURLToPath(new URL('../../../src/sim/render/wasm/', import.meta.url));
let built: Buffer | null = null;
try {
  built = execFileSync('wat2wasm', ['--enable-threads', `${wasmDir}sensor.wat`, '--output=-']);
} catch {
  built = null;
}
t.test('sensor.wasm is built from sensor.wat', { skip: built ? false : 'wat2wasm (Debian package wabt) not installed' }, async (t) => {
  t.ok(built?.equals(readFileSync(`${wasmDir}sensor.wasm`)), 'committed binary matches its source');
});
