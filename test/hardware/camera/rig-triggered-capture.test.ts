// End to end through the real firmware: the rig (firmware in simavr) runs a one-LED-per-step sequence,
// the simulated camera in hardware-trigger mode exposes on each trigger edge with the LEDs the firmware
// lit, so each frame shows the card under exactly that step's LED.
import t from 'tap';
import { SimulatedCamera } from '../../../src/sim/camera/simulated-camera.ts';
import type { CameraFrame } from '../../../src/hardware/camera/camera.ts';
import { oneLedPerStep } from '../../../src/hardware/rig/sequence-test.ts';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { startRig, type RigFixture } from '../../sim/rig/rig-fixture.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 120, 164);
const config = await loadSceneConfig();

let rig: RigFixture | undefined;
let skip: string | false = false;
try {
  rig = await startRig();
} catch (err) {
  skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}

{
  const fixture = rig as RigFixture;
  if (rig) t.teardown(() => fixture.close());
  t.test('a firmware sequence drives the simulated camera, one frame per step with its LED', { skip }, async (t) => {
    const renderer = new SceneRenderer({ geometry, threads: 1 });
    renderer.setScene(buildScene({ kind: 'white', seed: 1, geometry, config }).scene);
    const camera = new SimulatedCamera({ renderer, pinSource: fixture.sim, noiseSeed: 3 });
    await camera.open();
    t.teardown(() => camera.close());
    const exposureUs = 5000;
    await camera.configure({ triggerMode: 'hardware', exposureUs, pixelFormat: 'Mono12', timeoutMs: 10_000 });
    await camera.startAcquisition();
    const steps = oneLedPerStep({ level: 3000, settleUs: 2000, triggerUs: 500, exposureUs });
    await fixture.driver.loadSequence(steps);
    const gen = fixture.driver.runSequence();
    for (let r = await gen.next(); !r.done; r = await gen.next());
    const frames: CameraFrame[] = [];
    for (let i = 0; i < steps.length; i++) frames.push(await camera.nextFrame());
    t.equal(frames.length, 24);
    t.ok(frames.every((f, i) => i === 0 || f.timestampUs > frames[i - 1].timestampUs), 'trigger times increase');
    // Each frame must equal the noise-free render of its own LED (at level 3000) far better than any other LED's.
    let matched = 0;
    for (let i = 0; i < 24; i++) {
      const f = frames[i];
      let best = -1;
      let bestErr = Infinity;
      for (let k = 0; k < 24; k++) {
        const levels = Array.from({ length: 24 }, (_, j) => (j === k ? 3000 : 0));
        const clean = await renderer.expose({ levels, exposureUs, seed: 0, noise: false });
        let err = 0;
        for (let p = 0; p < clean.length; p++) err += (clean[p] - f.data[p]) ** 2;
        if (err < bestErr) {
          bestErr = err;
          best = k;
        }
      }
      if (best === i) matched++;
      else t.fail(`frame ${i} looks like LED ${best}`);
    }
    t.equal(matched, 24, 'every frame shows the LED its step lit');
  });
}
