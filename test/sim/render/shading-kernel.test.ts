import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { pinholeFromSpec } from '../../../src/geometry/camera-model.ts';
import { loadWasmKernel, shadeRows, type ShadingLights } from '../../../src/sim/render/shading-kernel.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 300, 410);
const config = await loadSceneConfig();

t.test('the SIMD kernel computes what the JS reference computes (f32 rounding only)', async (t) => {
  t.ok(loadWasmKernel(), 'WebAssembly SIMD kernel loads');
  const cam = pinholeFromSpec(geometry.camera);
  const { scene } = buildScene({ kind: 'card', seed: 7, geometry, config, foil: true });
  const p = scene.surface!.placement;
  const r = (p.rotationDeg * Math.PI) / 180;
  const surface = { maps: scene.surface!.maps, cosR: Math.cos(r), sinR: Math.sin(r), xMm: p.xMm, yMm: p.yMm };
  const n = cam.widthPx * cam.heightPx;
  for (const mode of ['near', 'distant'] as const) {
    const params = new Float64Array(24 * 8);
    geometry.leds.forEach((l, k) => {
      const a = l.positionMm.map((v) => -v);
      const an = Math.hypot(...a);
      const dn = Math.hypot(...l.positionMm);
      params.set(mode === 'near' ? [...l.positionMm, a[0] / an, a[1] / an, a[2] / an, l.radiantIntensityWSr, l.beamExponent] : [...l.positionMm.map((v) => v / dn), 7, 0, 0, 0, 0], k * 8);
    });
    const lights: ShadingLights = { mode, params, count: 24 };
    const run = (kernel: 'js' | 'wasm'): Float32Array[] => {
      const basis = Array.from({ length: 24 }, () => new Float32Array(n));
      shadeRows({ camera: cam, lights, ledIndices: [...Array(24).keys()], basis, responsivity: 0.33, tray: geometry.tray, surface, sphere: null, truth: null, rowStart: 0, rowEnd: cam.heightPx, kernel });
      return basis;
    };
    const js = run('js');
    const wasm = run('wasm');
    let worst = 0;
    let peak = 0;
    for (let k = 0; k < 24; k++) for (let i = 0; i < n; i++) peak = Math.max(peak, js[k][i]);
    for (let k = 0; k < 24; k++) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(js[k][i] - wasm[k][i]) / peak);
    // f32 rounding (largest at mirror highlights, where the GGX denominator cancels): within one 12-bit
    // code at full scale, far below the shot noise of any pixel that bright.
    t.ok(worst < 1 / 4095, `${mode}: worst difference ${worst.toExponential(2)} of the peak`);
  }
});

const wasmDir = fileURLToPath(new URL('../../../src/sim/render/wasm/', import.meta.url));
let built: Buffer | null = null;
try {
  built = execFileSync('wat2wasm', [`${wasmDir}near-led.wat`, '--output=-']);
} catch {
  built = null;
}
t.test('near-led.wasm is built from near-led.wat', { skip: built ? false : 'wat2wasm (Debian package wabt) not installed' }, async (t) => {
  t.ok(built?.equals(readFileSync(`${wasmDir}near-led.wasm`)), 'committed binary matches its source');
});
