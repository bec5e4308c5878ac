// GenicamCamera against Aravis' fake GigE Vision camera on loopback, in this file's own network namespace
// (fake-genicam.ts): the shared camera contract, the line-trigger set-up, region/exposure/gain/packet
// settings, packet loss, and a killed camera giving clean errors and a working reconnect.
//
// What the fake camera cannot do, and where that is covered instead:
// - it never exposes on a line trigger (TriggerSource Line0 only sets features): the hardware-trigger
//   contract tests run against the simulated camera, whose trigger is the real firmware's pin
//   (camera-contract.test.ts, rig-triggered-capture.test.ts); here the line set-up is read back;
// - it has no Mono12/Mono10 or packed formats (Mono8, Mono16, Bayer, RGB8 only): Mono12 is delivered from
//   its Mono16 shifted down, and the packed unpacking runs on synthetic buffers through the addon's own
//   in-place unpacker (genicam-unpack.test.ts).
import { FakeGenicam, fakeCameraUnavailable, inOwnNetworkNamespace } from './fake-genicam.ts';

await inOwnNetworkNamespace(import.meta.url);
const { default: t } = await import('tap');
const { GenicamCamera } = await import('../../../src/hardware/camera/genicam/genicam-camera.ts');
const { loadAravis } = await import('../../../src/hardware/camera/genicam/aravis-addon.ts');
const { cameraContract, codeOf } = await import('./camera-contract.ts');

const unavailable = fakeCameraUnavailable();
if (unavailable) {
  t.plan(0, `GenICam tests skipped: ${unavailable}`);
} else {
  const addon = loadAravis().addon!;
  const fake = new FakeGenicam('GB001');
  await fake.start(addon);
  t.teardown(() => fake.kill());

  // A camera left open by a failing test would keep the fake camera's control channel (one controller at a time).
  const made: Array<InstanceType<typeof GenicamCamera>> = [];
  const make = (options: ConstructorParameters<typeof GenicamCamera>[0]): InstanceType<typeof GenicamCamera> => {
    const camera = new GenicamCamera(options);
    made.push(camera);
    return camera;
  };
  t.afterEach(async () => {
    for (const camera of made.splice(0)) await camera.close();
  });

  cameraContract(t, 'GenicamCamera (Aravis fake GigE Vision camera)', async () => ({
    // A small region: the contract compares whole frames, and a deep compare of 512×512 samples is slow.
    camera: make({ id: fake.id, reconnectMs: 0, region: { x: 0, y: 0, width: 128, height: 96 } }),
    noPinsReason: "Aravis' fake camera never exposes on a line trigger; the simulated camera's run covers hardware triggering",
    widthPx: 128,
    heightPx: 96,
    levels: [],
  }));

  t.test('discovery lists the fake camera with vendor, model, serial and address', async (t) => {
    const found = await addon.list();
    t.match(found, [{ id: 'Aravis-Fake-GB001', vendor: 'Aravis', model: 'Fake', serial: 'GB001', address: '127.0.0.1', protocol: 'GigEVision' }]);
  });

  t.test('an unknown id is GB_HW_ABSENT naming the id', async (t) => {
    const camera = make({ id: 'Aravis-Fake-NOPE', reconnectMs: 0 });
    await t.rejects(camera.open(), { code: 'GB_HW_ABSENT', message: /Aravis-Fake-NOPE/ });
    t.equal(camera.state, 'closed');
  });

  t.test('hardware trigger sets FrameStart / Line0 / RisingEdge and lends every buffer to the stream', async (t) => {
    const camera = make({ id: fake.id, reconnectMs: 0, triggerLine: 'Line0' });
    const info = await camera.open();
    t.same(info.pixelFormats, ['Mono8', 'Mono12', 'Mono16'], 'Mono12 from the fake camera\'s Mono16');
    t.equal(info.adcBits, 16);
    await camera.configure({ triggerMode: 'hardware', bufferCount: 5, timeoutMs: 300 });
    t.same(await camera.readFeatures(['TriggerSelector', 'TriggerMode', 'TriggerSource', 'TriggerActivation']), {
      TriggerSelector: 'FrameStart',
      TriggerMode: 'On',
      TriggerSource: 'Line0',
      TriggerActivation: 'RisingEdge',
    });
    await camera.startAcquisition();
    t.match(camera.streamStatistics(), { allocated: 5, free: 0, held: 0 }, 'every buffer waits in the stream for a trigger edge');
    t.equal(await codeOf(camera.softwareTrigger()), 'GB_CONFLICT', 'software trigger refused in hardware mode');
    t.equal(await codeOf(camera.nextFrame()), 'GB_CAMERA_TIMEOUT', 'no edge, no frame (the fake camera has no line input)');
    await camera.stopAcquisition();
    t.match(camera.streamStatistics(), { allocated: 5, free: 5 }, 'stop gives the lent buffers back');
    await camera.configure({ triggerMode: 'software' });
    t.match(await camera.readFeatures(['TriggerMode', 'TriggerSource']), { TriggerMode: 'On', TriggerSource: 'Software' });
    await camera.close();
  });

  t.test('region, exposure, gain, packet size and inter-packet delay reach the camera', async (t) => {
    const camera = make({ id: fake.id, reconnectMs: 0, region: { x: 16, y: 8, width: 256, height: 128 }, packetSizeBytes: 1000, packetDelayNs: 4000 });
    const info = await camera.open();
    t.same([info.widthPx, info.heightPx], [256, 128], 'frame size is the region');
    await camera.configure({ exposureUs: 2500, gain: 4, pixelFormat: 'Mono16' });
    const f = await camera.readFeatures(['OffsetX', 'OffsetY', 'Width', 'Height', 'ExposureTimeAbs', 'GainRaw', 'GevSCPSPacketSize', 'GevSCPD', 'PixelFormat']);
    t.match(f, { OffsetX: '16', OffsetY: '8', Width: '256', Height: '128', GainRaw: '12', GevSCPSPacketSize: '1000', PixelFormat: 'Mono16' });
    t.equal(Number(f.ExposureTimeAbs), 2500);
    t.ok(Number(f.GevSCPD) > 0, `inter-packet delay set (${f.GevSCPD} ticks)`);
    t.equal(camera.genicamIdentity?.packetSizeBytes, 1000);
    await camera.startAcquisition();
    await camera.softwareTrigger();
    const frame = await camera.nextFrame();
    t.same([frame.width, frame.height, frame.data.length], [256, 128, 256 * 128]);
    t.ok(frame.data.some((v) => v > 0), 'the frame has an image');
    frame.release();
    await camera.close();
  });

  t.test('Mono8 is widened in place: the delivered array is the buffer the camera wrote', async (t) => {
    const camera = make({ id: fake.id, reconnectMs: 0 });
    const info = await camera.open();
    await camera.configure({ pixelFormat: 'Mono8', bufferCount: 1 });
    t.match(await camera.readFeatures(['PixelFormat', 'PayloadSize']), { PixelFormat: 'Mono8', PayloadSize: String(info.widthPx * info.heightPx) }, 'one byte per pixel on the wire');
    await camera.startAcquisition();
    await camera.softwareTrigger();
    const a = await camera.nextFrame();
    const buffer = a.data.buffer;
    t.ok(a.data.every((v) => v <= 255) && a.data.some((v) => v > 0), 'samples 0..255');
    a.release();
    await camera.softwareTrigger();
    const b = await camera.nextFrame();
    t.equal(b.data.buffer, buffer, 'the same stream buffer again, no copy in between');
    b.release();
    t.match(camera.streamStatistics(), { completed: 2, failed: 0, underruns: 0 });
    await camera.close();
  });
}
