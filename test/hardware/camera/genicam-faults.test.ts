// GenicamCamera when things go wrong, against Aravis' fake GigE Vision camera in this file's own network
// namespace: packets lost on the wire (the fake camera's -r loss ratio; Aravis asks for resends), and the
// camera process killed mid-capture (clean GB_ errors within the frame timeout, `disconnected`, and a
// working reconnect once it is back).
import { FakeGenicam, fakeCameraUnavailable, inOwnNetworkNamespace } from './fake-genicam.ts';

await inOwnNetworkNamespace(import.meta.url);
const { default: t } = await import('tap');
const { GenicamCamera } = await import('../../../src/hardware/camera/genicam/genicam-camera.ts');
const { loadAravis } = await import('../../../src/hardware/camera/genicam/aravis-addon.ts');
const { CameraDevice } = await import('../../../src/hardware/camera/camera-device.ts');
const { codeOf } = await import('./camera-contract.ts');

const unavailable = fakeCameraUnavailable();
if (unavailable) {
  t.plan(0, `GenICam tests skipped: ${unavailable}`);
} else {
  const addon = loadAravis().addon!;

  t.test('packet loss: every trigger ends as a complete frame or a counted, reported failure', async (t) => {
    // The fake camera drops ~30 in 1000 stream packets; a 128×96 Mono16 frame is 18 packets, so about
    // four frames in ten lose one (24 frames: the chance that none does is ~1e-6). It does not answer
    // Aravis' resend requests, so a frame with a lost packet stays incomplete.
    const fake = new FakeGenicam('GB010', { lossRatio: 30 });
    await fake.start(addon);
    t.teardown(() => fake.kill());
    const camera = new GenicamCamera({ id: fake.id, reconnectMs: 0, region: { x: 0, y: 0, width: 128, height: 96 } });
    t.teardown(() => camera.close());
    const errors: Array<{ code: string; details?: Record<string, unknown> }> = [];
    camera.on('error', (e) => errors.push(e));
    await camera.open();
    await camera.configure({ pixelFormat: 'Mono16', timeoutMs: 600 });
    await camera.startAcquisition();
    let delivered = 0;
    const triggers = 24;
    for (let i = 0; i < triggers; i++) {
      await camera.softwareTrigger();
      const code = await codeOf(camera.nextFrame().then((f) => {
        if (f.data.length !== 128 * 96) t.fail('a delivered frame is complete');
        f.release();
      }));
      if (code === 'resolved') delivered++;
      else if (code !== 'GB_CAMERA_TIMEOUT') t.fail(`frame ${i}: ${code}`);
    }
    // The last failure may still be on its way from the stream thread (bounded wait).
    for (let i = 0; i < 40 && delivered + camera.streamStatistics().failed! < triggers; i++) await new Promise((r) => setTimeout(r, 50));
    const stats = camera.streamStatistics();
    t.ok(stats.missingPackets! > 0, `packets went missing (${stats.missingPackets}; ${stats.resentPackets} resent)`);
    t.ok(stats.failed! > 0, `${stats.failed} frames failed`);
    t.equal(delivered + stats.failed!, triggers, `${delivered} frames complete + ${stats.failed} failed = ${triggers} triggers: none vanished`);
    t.equal(errors.length, stats.failed, 'each failure is reported as an error event');
    t.ok(errors.every((e) => e.code === 'GB_CAMERA_FAULT' && e.details?.reason === 'incomplete-frame'), 'failures are incomplete-frame faults');
    t.equal(stats.completed, delivered);
  });

  t.test('killed camera: the capture fails with a GB_ error, the camera reports it lost, and reconnects', async (t) => {
    const fake = new FakeGenicam('GB011');
    await fake.start(addon);
    t.teardown(() => fake.kill());
    const camera = new GenicamCamera({ id: fake.id, reconnectMs: 200 });
    t.teardown(() => camera.close());
    const device = new CameraDevice('genicam', camera);
    await device.start();
    await camera.configure({ timeoutMs: 1000 });
    await camera.startAcquisition();
    await camera.softwareTrigger();
    (await camera.nextFrame()).release();

    const disconnected = new Promise<string>((resolve) => camera.on('disconnected', ({ reason }) => resolve(reason)));
    await fake.kill();
    // The capture in progress: a trigger nobody acknowledges, a frame that never comes.
    const trigger = await codeOf(camera.softwareTrigger());
    t.ok(['GB_CAMERA_TIMEOUT', 'GB_CAMERA_LOST'].includes(trigger), `the trigger fails with ${trigger}`);
    const frame = await codeOf(camera.nextFrame());
    t.ok(['GB_CAMERA_TIMEOUT', 'GB_CAMERA_LOST', 'GB_CONFLICT'].includes(frame), `the frame wait fails with ${frame}`);
    t.match(await disconnected, /TriggerSoftware|heartbeat/, 'disconnected, with the reason');
    t.equal(camera.state, 'closed');
    t.match(device.status(), { state: 'disconnected', detail: /camera disconnected/ });
    t.equal(await codeOf(camera.softwareTrigger()), 'GB_CONFLICT', 'no trigger while lost');

    const reconnected = new Promise((resolve) => camera.on('reconnected', resolve));
    await fake.start(addon);
    t.match(await reconnected, { vendor: 'Aravis', model: 'Fake', serial: 'GB011' }, 'opened again by itself');
    t.equal(camera.state, 'open');
    t.match(device.status(), { state: 'connected' });
    t.match(await camera.readFeatures(['TriggerSource']), { TriggerSource: 'Software' }, 'the configuration is applied again');
    await camera.startAcquisition();
    await camera.softwareTrigger();
    const f = await camera.nextFrame();
    t.equal(f.frameId, 0, 'a new capture starts from frame 0');
    f.release();
    await device.stop();
  });

  t.test('killed camera while waiting for a hardware trigger: GB_CAMERA_TIMEOUT, then the heartbeat reports it lost', async (t) => {
    const fake = new FakeGenicam('GB012');
    await fake.start(addon);
    t.teardown(() => fake.kill());
    const camera = new GenicamCamera({ id: fake.id, reconnectMs: 0 });
    t.teardown(() => camera.close());
    await camera.open();
    await camera.configure({ triggerMode: 'hardware', timeoutMs: 500 });
    await camera.startAcquisition();
    const disconnected = new Promise<string>((resolve) => camera.on('disconnected', ({ reason }) => resolve(reason)));
    await fake.kill();
    t.equal(await codeOf(camera.nextFrame()), 'GB_CAMERA_TIMEOUT', 'the waiting reader gets its timeout, not a hang');
    // Aravis' heartbeat gives up after a few seconds; the camera's events do not keep the process alive.
    const alive = setInterval(() => undefined, 1000);
    t.match(await disconnected, /heartbeat/);
    clearInterval(alive);
    t.equal(camera.state, 'closed');
  });
}
