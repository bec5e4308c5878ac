import t from 'tap';
import type { GradeboothError } from '../../../src/core/errors.ts';
import { SimulatedCamera } from '../../../src/sim/camera/simulated-camera.ts';
import { loadBoothGeometry, withCameraSize } from '../../../src/geometry/booth-geometry.ts';
import { SceneRenderer } from '../../../src/sim/render/scene-renderer.ts';
import { buildScene } from '../../../src/sim/scenes/build-scene.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import { ScriptedPinSource } from '../../hardware/camera/test-pin-source.ts';

const geometry = withCameraSize(await loadBoothGeometry(), 150, 205);
const config = await loadSceneConfig();
const { scene } = buildScene({ kind: 'card', seed: 8, geometry, config });

function setup(noiseSeed = 4): { camera: SimulatedCamera; renderer: SceneRenderer; pins: ScriptedPinSource } {
  const renderer = new SceneRenderer({ geometry, threads: 1 });
  renderer.setScene(scene);
  const pins = new ScriptedPinSource();
  return { camera: new SimulatedCamera({ renderer, pinSource: pins, noiseSeed }), renderer, pins };
}

t.test('a hardware-triggered frame is the scene under exactly the lit levels of the trigger edge', async (t) => {
  const { camera, renderer, pins } = setup();
  await camera.open();
  await camera.configure({ triggerMode: 'hardware', exposureUs: 6000, gain: 1.5, pixelFormat: 'Mono12' });
  await camera.startAcquisition();
  const mixed = Array.from({ length: 24 }, (_, k) => (k === 2 ? 4095 : k === 17 ? 1500 : 0));
  pins.pulse(1000, mixed);
  // BLANK high: the latched levels are on the driver but no LED is lit at the edge.
  pins.emit({ kind: 'blank', timeUs: 19_000, high: true });
  pins.pulse(20_000, new Array(24).fill(0));
  const a = await camera.nextFrame();
  const dark = await camera.nextFrame();
  const expected = await renderer.expose({ levels: mixed, exposureUs: 6000, gain: 1.5, seed: 4 * 7919 + 0 });
  t.same(a.data, expected, 'identical to the renderer under the trigger levels, exposure, gain and frame seed');
  const mean = dark.data.reduce((s, v) => s + v, 0) / dark.data.length;
  t.ok(Math.abs(mean - geometry.sensor.blackLevelDn) < 0.5, `no LEDs lit → dark frame at the black level (${mean.toFixed(2)} DN)`);
  const lit = a.data.reduce((s, v) => s + v, 0) / a.data.length;
  t.ok(lit > mean + 200, `lit frame is bright (${lit.toFixed(0)} DN)`);
  await camera.close();
});

t.test('a trigger during a running exposure is ignored with an error event', async (t) => {
  const { camera, pins } = setup();
  await camera.open();
  await camera.configure({ triggerMode: 'hardware', exposureUs: 10_000 });
  const errors: GradeboothError[] = [];
  camera.on('error', (e) => errors.push(e));
  await camera.startAcquisition();
  const levels = Array.from({ length: 24 }, (_, k) => (k === 9 ? 4095 : 0));
  pins.pulse(1000, levels);
  pins.pulse(6000, levels);
  pins.pulse(11_000, levels);
  const f1 = await camera.nextFrame();
  const f2 = await camera.nextFrame();
  t.same([f1.timestampUs, f2.timestampUs], [1000, 11_000], 'the overlapping trigger made no frame');
  t.equal(errors.length, 1);
  t.equal(errors[0].code, 'GB_CAMERA_FAULT');
  t.equal(camera.triggerCount, 3);
  await camera.close();
});

t.test('software trigger exposes with the injected levels; pixel formats pack the same exposure', async (t) => {
  const renderer = new SceneRenderer({ geometry, threads: 1 });
  renderer.setScene(scene);
  let levels = Array.from({ length: 24 }, (_, k) => (k === 11 ? 4095 : 0));
  const camera = new SimulatedCamera({ renderer, softwareLevels: () => levels, noiseSeed: 2 });
  await camera.open();
  await t.rejects(camera.configure({ triggerMode: 'hardware' }), { code: 'GB_HW_ABSENT' }, 'no pin source, no hardware mode');
  await camera.configure({ pixelFormat: 'Mono16' });
  await camera.startAcquisition();
  await camera.softwareTrigger();
  const f16 = await camera.nextFrame();
  const raw = await renderer.expose({ levels, exposureUs: geometry.sensor.defaultExposureUs, seed: 2 * 7919 });
  t.same(f16.data, raw.map((v) => v << 4), 'Mono16 = 12-bit codes × 16');
  levels = new Array(24).fill(0);
  await camera.softwareTrigger();
  const f2 = await camera.nextFrame();
  t.ok(f2.data.reduce((s, v) => s + v, 0) / f2.data.length < (geometry.sensor.blackLevelDn + 2) * 16, 'levels are read at trigger time');
  await camera.close();
});

t.test('a recycled frame buffer holds exactly the new exposure, nothing of the frame before', async (t) => {
  const { camera, renderer, pins } = setup(6);
  await camera.open();
  await camera.configure({ triggerMode: 'hardware', exposureUs: 8000, pixelFormat: 'Mono16', bufferCount: 1 });
  await camera.startAcquisition();
  const bright = new Array(24).fill(4095);
  const one = Array.from({ length: 24 }, (_, k) => (k === 13 ? 2500 : 0));
  pins.pulse(1000, bright);
  const first = await camera.nextFrame();
  const buffer = first.data.buffer;
  first.release();
  pins.pulse(30_000, one);
  const second = await camera.nextFrame();
  t.equal(second.data.buffer, buffer, 'same buffer');
  const expected = await renderer.expose({ levels: one, exposureUs: 8000, seed: 6 * 7919 + 1, pack: 'msb16' });
  t.same(second.data, expected, 'identical to a fresh render of the second trigger');
  second.release();
  await camera.close();
});
