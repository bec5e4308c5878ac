// The hardware booth as the settings build it: the LED rig on a serial port (the real firmware in simavr,
// whose UART is a pty opened with serialport like /dev/ttyACM0) and the GenICam camera (Aravis' fake GigE
// camera, in this file's own network namespace). The fake camera has no trigger input a wire could reach,
// so the booth is set to software triggering (hardware.camera.genicam.trigger: software): the host latches
// each step's LEDs, triggers the camera and keeps the LEDs on until the frame is in. The fake camera's
// picture does not depend on the LEDs, so what is checked is the order of the steps on the firmware's
// pins and the frames: one per step, of the camera's size, each taken while its step's LEDs were latched.
import { FakeGenicam, fakeCameraUnavailable, inOwnNetworkNamespace } from '../hardware/camera/fake-genicam.ts';

await inOwnNetworkNamespace(import.meta.url);
const { default: t } = await import('tap');
const { readdirSync, writeFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { createBooth } = await import('../../src/booth/create-booth.ts');
const { validateSettings } = await import('../../src/config/load.ts');
const { captureSide } = await import('../../src/capture/sequencer.ts');
const { loadAravis } = await import('../../src/hardware/camera/genicam/aravis-addon.ts');
const { SimulatedRig, ensureSimBuilt } = await import('../../src/sim/rig/simulated-rig.ts');
const { privateDir } = await import('../calibration/temp-dir.ts');
type Settings = import('../../src/config/schema.ts').Settings;
type RigPinEvent = import('../../src/hardware/rig/pins.ts').RigPinEvent;

let skip: string | false = fakeCameraUnavailable() ?? false;
if (!skip) {
  try {
    await ensureSimBuilt();
  } catch (err) {
    skip = `simulated rig unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
  }
}

/** Settings of a booth with the rig on `ptyPath` and the fake camera `cameraId`, software-triggered. */
function boothSettings(dir: string, ptyPath: string, cameraId: string, genicam: Record<string, unknown> = {}): Settings {
  const cameraFile = join(dir, 'camera.json');
  writeFileSync(cameraFile, JSON.stringify({ intrinsicsPx: { fx: 1500, fy: 1500, cx: 160, cy: 120 } }));
  return validateSettings({
    data_dir: join(dir, 'data'),
    hardware: {
      rig: { kind: 'serial', port: ptyPath },
      camera: { kind: 'genicam', genicam: { id: cameraId, intrinsics_file: cameraFile, trigger: 'software', roi: { x: 0, y: 0, width: 320, height: 240 }, frame_timeout_ms: 5000, reconnect_ms: 200, ...genicam } },
      scanner: { kind: 'none' },
    },
  });
}

t.test('createBooth builds the hardware booth from settings; a software-triggered side capture gets one frame per step', { skip }, async (t) => {
  const addon = loadAravis().addon!;
  const rigSim = new SimulatedRig();
  await rigSim.start();
  t.teardown(() => rigSim.stop());
  const fake = new FakeGenicam('GB020');
  await fake.start(addon);
  t.teardown(() => fake.kill());
  const dir = privateDir(t, 'hw-booth');
  const settings = boothSettings(dir, rigSim.ptyPath, fake.id, { gain_db: 6 });

  const booth = await createBooth(settings, { command: 'test' });
  t.teardown(() => booth.stop());
  t.equal(booth.kind, 'real');
  t.equal(booth.sim, undefined, 'no simulator behind it');
  t.equal(booth.cameraTrigger, 'software');
  t.same(booth.intrinsics, { fxPx: 1500, fyPx: 1500, cxPx: 160, cyPx: 120 }, 'the lens model of the camera file');
  await t.rejects(createBooth(settings, { command: 'test' }), { code: 'GB_DATA_DIR_LOCKED' }, 'the booth holds the data-directory lock');
  await booth.start();
  t.match(booth.rig.health(), { state: 'connected' }, 'the rig driver is connected through the pty');
  t.equal(booth.widthPx, 320, 'frame size: the configured region, as the camera reports it');
  t.equal(booth.heightPx, 240);

  // What the firmware latched, in order (its pins, decoded by the simulator).
  const latches: number[][] = [];
  const offPins = rigSim.onPinEvent((e: RigPinEvent) => {
    if (e.kind === 'latch') latches.push([...e.levels]);
  });
  // Each frame's arrival against the host's latches: frame i must arrive before step i+1 is latched.
  const log: string[] = [];
  const offFrame = booth.camera.on('frame', (f) => log.push(`frame ${f.frameId}`));
  const setLevels = booth.rig.setLevels.bind(booth.rig);
  booth.rig.setLevels = async (levels) => {
    log.push(`latch ${levels.findIndex((v) => v > 0)}`);
    return setLevels(levels);
  };
  t.teardown(() => {
    booth.rig.setLevels = setLevels;
  });

  const leds = [0, 5, 11, 23];
  const cap = await captureSide(booth, { exposureUs: 2000, level: 1200, leds, failOnExposureError: false });
  offPins();
  offFrame();
  t.equal(cap.frames.length, leds.length, 'one frame per LED');
  t.same(cap.frames.map((f) => f.ledChannel), leds);
  for (const f of [cap.dark, ...cap.frames]) {
    t.equal(f.width, 320);
    t.equal(f.height, 240);
    t.equal(f.data.length, 320 * 240, 'samples of the whole region');
    t.equal(f.gain.toFixed(3), (10 ** (6 / 20)).toFixed(3), 'gain of the settings (6 dB)');
  }
  t.ok([cap.dark, ...cap.frames].every((f, i, all) => i === 0 || f.frameId === all[i - 1].frameId + 1), 'consecutive camera frames');
  t.ok(cap.frames.every((f) => f.onUs > 0 && f.firmwareTriggerUs > 0), 'each step has its firmware clock and on-time');
  t.same(log, ['latch -1', 'frame 0', 'latch 0', 'frame 1', 'latch 5', 'frame 2', 'latch 11', 'frame 3', 'latch 23', 'frame 4'], 'each frame arrives while its step is latched, before the next latch');
  const lit = latches.map((levels) => levels.flatMap((v, ch) => (v > 0 ? [`${ch}@${v}`] : [])).join(',') || 'dark');
  t.same(lit.slice(-6), ['dark', '0@1200', '5@1200', '11@1200', '23@1200', 'dark'], 'the firmware latched the dark step, each LED at its level, then all off');
  cap.release();
  t.equal(booth.camera.state, 'open', 'disarmed after the capture');
  t.equal(booth.camera.streamStatistics().held, 0, 'every buffer given back');
});

t.test('the settings pick the booth: genicam with a serial rig only; the camera file is checked before any hardware', { skip }, async (t) => {
  const dir = privateDir(t, 'hw-booth-settings');
  const settings = boothSettings(dir, join(dir, 'no-such-tty'), 'Aravis-Fake-GB029');
  settings.hardware.camera.genicam.intrinsics_file = join(dir, 'missing.json');
  await t.rejects(createBooth(settings, { command: 'test' }), { code: 'GB_CONFIG_INVALID', message: /"hardware.camera.genicam.intrinsics_file": .*missing.json: cannot read \(ENOENT\)/ });
  const ok = boothSettings(dir, join(dir, 'no-such-tty'), 'Aravis-Fake-GB029');
  await t.rejects(createBooth(ok, { command: 'test', size: { widthPx: 100, heightPx: 100 } }), { code: 'GB_USAGE', message: /--size sets the simulated camera/ });
  const booth = await createBooth(ok, { command: 'test' });
  t.equal(booth.kind, 'real', 'built without touching the hardware');
  await t.rejects(booth.start(), { code: 'GB_RIG_DISCONNECTED', message: /cannot open LED rig port .*no-such-tty/ }, 'start() opens the rig port and says which');
  await booth.stop();
  const none = validateSettings({ data_dir: join(dir, 'data'), hardware: { rig: { kind: 'serial', port: '/dev/ttyACM0' }, camera: { kind: 'none' }, scanner: { kind: 'none' } } });
  await t.rejects(createBooth(none, { command: 'test' }), { code: 'GB_HW_ABSENT', message: /a booth is a serial rig with a genicam camera/ });
});

/** A booth, its data directory and the job runner over them, as the daemon builds them. */
async function boothWithJobs(t: import('tap').Test, serial: string, genicam: Record<string, unknown> = {}) {
  const { openDatabase } = await import('../../src/storage/database.ts');
  const { FileStore } = await import('../../src/storage/file-store.ts');
  const { EventBus } = await import('../../src/core/events.ts');
  const { createBoothJobs } = await import('../../src/booth-jobs.ts');
  const addon = loadAravis().addon!;
  const rigSim = new SimulatedRig();
  await rigSim.start();
  t.teardown(() => rigSim.stop());
  const fake = new FakeGenicam(serial);
  await fake.start(addon);
  t.teardown(() => fake.kill());
  const dir = privateDir(t, 'hw-booth-jobs');
  const settings = boothSettings(dir, rigSim.ptyPath, fake.id, genicam);
  const booth = await createBooth(settings, { command: 'test' });
  t.teardown(() => booth.stop());
  await booth.start();
  const db = openDatabase(join(dir, 'db.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  const bus = new EventBus();
  const { runner, repos } = createBoothJobs({ booth, db, store, bus, settings });
  await runner.start();
  t.teardown(() => runner.stop());
  /**
   * Resolves with the prompt when the job waits for a person at its next step, or with how it ended if it
   * ends first (so an unexpected failure fails the assertion instead of hanging the test).
   */
  const nextPrompt = (jobId: string): Promise<string> =>
    new Promise((resolve) => {
      const off = bus.on('job.progress', (e) => {
        if (e.data.jobId === jobId && e.data.message?.startsWith('waiting: ')) {
          off();
          resolve(e.data.message);
        }
      });
      void runner.wait(jobId).then((job) => {
        off();
        resolve(`ended ${job.state}: ${JSON.stringify(job.error)}`);
      });
    });
  return { rigSim, fake, addon, dir, settings, booth, db, store, bus, runner, repos, nextPrompt };
}

/** Files in the data directory's content store (tmp/ excluded). */
function storedFiles(storeDir: string): string[] {
  return readdirSync(storeDir).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(storeDir, d)).map((f) => d + f));
}

t.test('a calibration job on the hardware booth: the technician confirms each target and the booth captures it with the fake camera', { skip }, async (t) => {
  // As far as the fake camera allows: its picture is a ramp that ignores the LEDs, a third of it at full
  // scale, so the white target's flat-field capture is refused as saturated. That refusal is the end.
  const b = await boothWithJobs(t, 'GB021');
  const job = await b.runner.submit('calibration', {});
  const progress: string[] = [];
  b.bus.on('job.progress', (e) => {
    if (e.data.jobId === job.id && e.data.message) progress.push(`${e.data.stage}: ${e.data.message}`);
  });
  const frameSizes: string[] = [];
  b.booth.camera.on('frame', (f) => frameSizes.push(`${f.width}x${f.height}`));
  t.match(await b.nextPrompt(job.id), /Empty the tray/, 'a real booth asks the technician for each target');
  b.runner.continue(job.id);
  t.match(await b.nextPrompt(job.id), /matte white target/);
  b.runner.continue(job.id);
  const done = await b.runner.wait(job.id);
  t.ok(progress.some((p) => /^dark: dark: done/.test(p)), 'the dark stage captured its frame and measured it');
  t.ok(progress.some((p) => /^white: auto-exposure: brightest LED at [\d.]+% with 10000 µs/.test(p)), 'the white probe captured dark + 24 LEDs and measured them');
  t.same(frameSizes, new Array(2 + 25 + 25).fill('320x240'), 'dark (dark + LED 0), white probe and flat-field (dark + 24 LEDs each): every frame at the camera\'s size');
  t.equal(done.state, 'failed');
  t.match(done.error, { code: 'GB_CAPTURE_EXPOSURE', message: /24 of 24 LED frames are badly exposed — LED 0 \(light 0\): [\d.]+% of pixels saturated/ }, 'the fake camera\'s ramp is refused as saturated');
  const status = await b.booth.rig.status();
  t.ok(status.levels.every((v) => v === 0), 'LEDs off after the job');
  t.same(storedFiles(join(b.dir, 'store')), [], 'nothing stored');
  t.equal(b.booth.camera.streamStatistics().held, 0, 'every camera buffer given back');
});

t.test('the camera drops off during a capturing job: GB_CAMERA_LOST, LEDs off, nothing stored; the next job captures once it is back', { skip }, async (t) => {
  // The booth's default frame timeout (15 s) is longer than Aravis' control-channel retries, so a trigger
  // nobody acknowledges is reported as the lost camera it is, not as a slow frame.
  const b = await boothWithJobs(t, 'GB022', { frame_timeout_ms: 15000 });
  let frames = 0;
  let killed: Promise<void> | undefined;
  const offFrame = b.booth.camera.on('frame', () => {
    // The dark stage takes 2 frames; the white target's probe capture then runs: pull the camera at its 4th.
    if (++frames === 6) killed = b.fake.kill();
  });
  const disconnected = new Promise<string>((resolve) => b.booth.camera.on('disconnected', ({ reason }) => resolve(reason)));
  const job = await b.runner.submit('calibration', {});
  t.match(await b.nextPrompt(job.id), /Empty the tray/);
  b.runner.continue(job.id);
  t.match(await b.nextPrompt(job.id), /matte white target/);
  b.runner.continue(job.id);
  const failed = await b.runner.wait(job.id);
  offFrame();
  await killed;
  t.equal(failed.state, 'failed');
  t.equal(failed.stage, 'white', 'it failed in the capture that was running');
  t.match(failed.error, { code: 'GB_CAMERA_LOST', message: /^capture: the camera dropped off during the capture .*The LEDs are off and nothing was stored; the camera is reopened when it answers again/ });
  t.ok(frames >= 6 && frames < 2 + 25, `the capture was under way (${frames} frames in all) and did not finish`);
  const status = await b.booth.rig.status();
  t.ok(status.levels.every((v) => v === 0), 'LEDs off');
  t.same(storedFiles(join(b.dir, 'store')), [], 'no partial files');
  t.equal(b.repos.calibrations.latest('dark'), undefined, 'no calibration record');
  t.match(await disconnected, /./, 'the camera reported itself disconnected');
  t.equal(b.booth.camera.state, 'closed');

  // While it is away a job refuses at its capture, saying so.
  const early = await b.runner.submit('calibration', {});
  await b.nextPrompt(early.id);
  b.runner.continue(early.id);
  t.match(await b.runner.wait(early.id), { state: 'failed', error: { code: 'GB_CAMERA_LOST', message: /the camera is not connected/ } });

  // Back on the network: the camera reopens by itself and the next job captures.
  const reconnected = new Promise((resolve) => b.booth.camera.on('reconnected', resolve));
  await b.fake.start(b.addon);
  t.match(await reconnected, { serial: 'GB022', widthPx: 320, heightPx: 240 }, 'reopened with the settings\' region');
  const next = await b.runner.submit('calibration', {});
  const sizes: string[] = [];
  const offNext = b.booth.camera.on('frame', (f) => sizes.push(`${f.width}x${f.height}`));
  await b.nextPrompt(next.id);
  b.runner.continue(next.id);
  t.match(await b.nextPrompt(next.id), /matte white target/, 'the dark stage captured and measured, the job moves on');
  offNext();
  t.same(sizes, ['320x240', '320x240'], 'dark + LED 0 from the camera that came back');
  b.runner.cancel(next.id);
  t.match(await b.runner.wait(next.id), { state: 'cancelled' });
});

t.test('the daemon\'s booth started before its camera: the camera device is a fault saying so, then connected once the camera answers, and captures', { skip }, async (t) => {
  const { CameraDevice } = await import('../../src/hardware/camera/camera-device.ts');
  const addon = loadAravis().addon!;
  const rigSim = new SimulatedRig();
  await rigSim.start();
  t.teardown(() => rigSim.stop());
  const fake = new FakeGenicam('GB023');
  t.teardown(() => fake.kill());
  const dir = privateDir(t, 'hw-booth-late');
  // As main.ts builds it: the booth from the builder, its camera a daemon device started with the daemon.
  const booth = await createBooth(boothSettings(dir, rigSim.ptyPath, fake.id), { takeLock: false });
  const device = new CameraDevice('genicam', booth.camera);
  t.teardown(async () => {
    await device.stop();
    await booth.rig.stop();
  });
  await t.rejects(device.start(), { code: 'GB_HW_ABSENT', message: /cannot open GenICam camera "Aravis-Fake-GB023"/ });
  t.match(device.status(), { state: 'fault', detail: /camera failed to open/ });
  const found = new Promise((resolve) => booth.camera.on('reconnected', resolve));
  await fake.start(addon);
  t.match(await found, { serial: 'GB023', widthPx: 320, heightPx: 240 }, 'found once it answers');
  t.match(device.status(), { state: 'connected', detail: /Aravis Fake, serial GB023, 320×240/ });
  await booth.rig.start();
  await booth.rig.ready(10_000);
  const cap = await captureSide(booth, { exposureUs: 2000, leds: [7], failOnExposureError: false });
  t.equal(cap.frames.length, 1);
  t.equal(cap.frames[0].data.length, 320 * 240);
  cap.release();
});
