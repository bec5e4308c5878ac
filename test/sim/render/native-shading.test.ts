import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { loadRenderNative, renderAddonPath } from '../../../src/sim/render/native.ts';
import { SEGMENT_PX, synthesizeRows } from '../../../src/sim/render/sensor-kernel.ts';
import { SceneRenderer, type ShadingBackend } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import type { Scene } from '../../../src/sim/scenes/scene.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 300, 410);
const config = await loadSceneConfig();
const built = existsSync(renderAddonPath);

// The same booth with a distorting lens (barrel, as calibration measures it on the real one).
const distorted = { ...geometry, camera: { ...geometry.camera, radialDistortion: [-0.08, 0.01] as [number, number] } };

async function render(tt: Test, scene: Scene, backend: ShadingBackend, distantLights: boolean, threads: number, booth = geometry): Promise<{ bases: Float32Array[]; truth: Float32Array[] }> {
  const r = new SceneRenderer({ geometry: booth, threads, backend, distantLights });
  await r.start();
  try {
    tt.equal(r.backend, backend, `backend ${backend} in use`);
    r.setScene(scene);
    await r.renderBases();
    const bases: Float32Array[] = [];
    for (let k = 0; k < r.ledCount; k++) bases.push((await r.basis(k)).slice());
    const gt = await r.groundTruth();
    return { bases, truth: [gt.normal, gt.height, gt.albedo, Float32Array.from(gt.cover), Float32Array.from(gt.label)] };
  } finally {
    await r.stop();
  }
}

t.test('the native kernel computes what the WASM and JS kernels compute', { skip: built ? false : 'native/render addon not built (node native/render/build.mjs)' }, async (t) => {
  const card = buildScene({ kind: 'card', seed: 7, geometry, config, foil: true }).scene;
  const sphere = buildScene({ kind: 'chrome-sphere', seed: 3, geometry, config }).scene;
  for (const [name, scene, booth] of [['card', card, geometry], ['chrome sphere', sphere, geometry], ['card, distorting lens', card, distorted]] as const) {
    for (const distant of [false, true]) {
      // Two bands of interleaved row blocks for the native kernel; the reference on the calling thread.
      const native = await render(t, scene, 'native', distant, 2, booth);
      for (const ref of ['wasm', 'js'] as const) {
        if (ref === 'js' && name === 'chrome sphere') continue;
        const other = await render(t, scene, ref, distant, 0, booth);
        let peak = 0;
        let worst = 0;
        for (const b of other.bases) for (const v of b) peak = Math.max(peak, v);
        other.bases.forEach((b, k) => b.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - native.bases[k][i]) / peak))));
        // f32 rounding, largest at mirror highlights where the GGX denominator cancels (the WASM and JS
        // kernels differ from each other as much there): card within one 12-bit code at full scale.
        const bound = name === 'chrome sphere' ? 2e-3 : 1 / 4095;
        t.ok(worst < bound, `${name}, ${distant ? 'distant' : 'near'}: native vs ${ref} worst ${worst.toExponential(2)} of the peak`);
        let truthDiff = 0;
        other.truth.forEach((a, q) => a.forEach((v, i) => (truthDiff = Math.max(truthDiff, Math.abs(v - native.truth[q][i])))));
        t.ok(truthDiff < 1e-5, `${name}: ground truth (normals, height, albedo, cover, labels) equal (max diff ${truthDiff.toExponential(1)})`);
      }
    }
  }
});

t.test('backend selection', async (t) => {
  const auto = new SceneRenderer({ geometry, threads: 0 });
  t.equal(auto.backend, built ? 'native' : 'wasm', 'auto picks the native kernel when it is built');
  t.equal(new SceneRenderer({ geometry, threads: 0, backend: 'wasm' }).backend, 'wasm', 'wasm can be forced');
  if (!built) t.throws(() => new SceneRenderer({ geometry, threads: 0, backend: 'native' }), 'forcing native without the addon fails');
});

t.test('the native exposure kernel gives exactly the JS reference codes', { skip: built ? false : 'native/render addon not built' }, async (t) => {
  const native = loadRenderNative();
  if (!native) return;
  const sensor = { fullWellE: 10500, readNoiseE: 2.4, blackLevelDn: 64, adcMax: 4095 };
  // One full 4096-px segment plus a 5-px tail; a ramp from dark to past full well plus pixel-scale structure.
  const width = SEGMENT_PX + 5;
  const height = 6;
  const a = new Float32Array(width * height).map((_, i) => ((i % width) / width) * 14 + (i % 7) * 0.013);
  const b = a.map((v, i) => (i % 11) * 0.1 + v * 0.5);
  for (const pack of ['raw', 'msb16', 'msb8'] as const) {
    for (const [basis, weights] of [[[], []], [[a], [1000]], [[a, b], [700, 333.3]]] as [Float32Array[], number[]][]) {
      for (const noise of [true, false]) {
        const job = { width, basis, weights, sensor, gain: 2, seed: 42, noise, pack };
        const js = new Uint16Array(width * height);
        synthesizeRows({ ...job, out: js, rowStart: 0, rowEnd: height, kernel: 'js' });
        // Two bands, as the renderer splits a frame.
        const c = new Uint16Array(width * height);
        await Promise.all([native.expose({ ...job, out: c, rowStart: 0, rowEnd: 2 }, height), native.expose({ ...job, out: c, rowStart: 2, rowEnd: height }, height)]);
        let diff = 0;
        for (let i = 0; i < js.length; i++) if (js[i] !== c[i]) diff++;
        t.equal(diff, 0, `${pack}, ${basis.length} LEDs, noise ${noise}: ${diff} differing pixels`);
      }
    }
  }
});

t.test('a renderer frame: native = WebAssembly, code for code', { skip: built ? false : 'native/render addon not built' }, async (t) => {
  const card = buildScene({ kind: 'card', seed: 5, geometry, config }).scene;
  const frames: Uint16Array[] = [];
  const nativeBases: Float32Array[] = [];
  for (const backend of ['native', 'wasm'] as const) {
    const r = new SceneRenderer({ geometry, threads: 2, backend });
    await r.start();
    try {
      r.setScene(card);
      await r.renderBases();
      // The same bases for both (the shading kernels differ in f32 rounding): copy the native ones over.
      if (backend === 'wasm') for (let k = 0; k < 24; k++) (await r.basis(k)).set(nativeBases[k]);
      else for (let k = 0; k < 24; k++) nativeBases.push((await r.basis(k)).slice());
      const levels = Array.from({ length: 24 }, (_, k) => (k % 5 === 0 ? 3000 : k === 7 ? 4095 : 0));
      frames.push((await r.expose({ levels, exposureUs: 8000, seed: 9, pack: 'msb16' })).slice());
    } finally {
      await r.stop();
    }
  }
  let diff = 0;
  for (let i = 0; i < frames[0].length; i++) if (frames[0][i] !== frames[1][i]) diff++;
  t.equal(diff, 0, 'identical Mono16 frame');
});
