import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { loadBoothGeometry, withCameraSize } from '../../../src/sim/geometry/booth-geometry.ts';
import { renderAddonPath } from '../../../src/sim/render/native.ts';
import { SceneRenderer, type ShadingBackend } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/sim/scenes/scene-config.ts';
import type { Scene } from '../../../src/sim/scenes/scene.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 300, 410);
const config = await loadSceneConfig();
const built = existsSync(renderAddonPath);

async function render(tt: Test, scene: Scene, backend: ShadingBackend, distantLights: boolean, threads: number): Promise<{ bases: Float32Array[]; truth: Float32Array[] }> {
  const r = new SceneRenderer({ geometry, threads, backend, distantLights });
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
  for (const [name, scene] of [['card', card], ['chrome sphere', sphere]] as const) {
    for (const distant of [false, true]) {
      // Two bands of interleaved row blocks for the native kernel; the reference on the calling thread.
      const native = await render(t, scene, 'native', distant, 2);
      for (const ref of ['wasm', 'js'] as const) {
        if (ref === 'js' && name !== 'card') continue;
        const other = await render(t, scene, ref, distant, 0);
        let peak = 0;
        let worst = 0;
        for (const b of other.bases) for (const v of b) peak = Math.max(peak, v);
        other.bases.forEach((b, k) => b.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - native.bases[k][i]) / peak))));
        // f32 rounding, largest at mirror highlights where the GGX denominator cancels (the WASM and JS
        // kernels differ from each other as much there): card within one 12-bit code at full scale.
        const bound = name === 'card' ? 1 / 4095 : 2e-3;
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
