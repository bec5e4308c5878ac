import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayCamera } from '../../../src/hardware/camera/replay-camera.ts';
import { SimulatedCamera } from '../../../src/sim/camera/simulated-camera.ts';
import { encodePng } from '../../../src/imaging/png.ts';
import { writeFile } from 'node:fs/promises';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { cameraContract } from './camera-contract.ts';
import { ScriptedPinSource } from './test-pin-source.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 120, 164);
const config = await loadSceneConfig();
const { scene } = buildScene({ kind: 'card', seed: 3, geometry, config });
const levels = Array.from({ length: 24 }, (_, k) => (k === 5 ? 4095 : 0));

cameraContract(t, 'SimulatedCamera', async () => {
  const renderer = new SceneRenderer({ geometry, threads: 1 });
  renderer.setScene(scene);
  const pins = new ScriptedPinSource();
  return { camera: new SimulatedCamera({ renderer, pinSource: pins, softwareLevels: () => levels }), pins, widthPx: 120, heightPx: 164, levels };
});

const dir = await mkdtemp(join(tmpdir(), 'gb-replay-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const names: string[] = [];
for (let k = 0; k < 6; k++) {
  const data = new Uint16Array(40 * 30).map((_, i) => (i * 37 + k * 1000) % 65536);
  names.push(`f${k}.png`);
  await writeFile(join(dir, `f${k}.png`), await encodePng({ width: 40, height: 30, channels: 1, bitDepth: 16, data }));
}
await writeFile(join(dir, 'filenames.txt'), `${names.join('\n')}\n`);

cameraContract(t, 'ReplayCamera', async () => {
  const pins = new ScriptedPinSource();
  return { camera: new ReplayCamera({ folder: dir, pinSource: pins, loop: true }), pins, widthPx: 40, heightPx: 30, levels };
});
