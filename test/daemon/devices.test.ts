import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDevices } from '../../src/main.ts';
import { validateSettings } from '../../src/config/load.ts';
import { EventBus } from '../../src/core/events.ts';
import { encodePng } from '../../src/imaging/png.ts';

t.test('no hardware configured: every slot says absent and why', async (t) => {
  const settings = validateSettings({ hardware: { rig: { kind: 'none' }, camera: { kind: 'none' }, scanner: { kind: 'none' } } });
  const { devices } = await createDevices(settings, pino({ level: 'silent' }), new EventBus());
  t.same(
    devices.map((d) => [d.status().device, d.status().state]),
    [['rig', 'absent'], ['camera', 'absent'], ['scanner', 'absent']],
  );
  t.match(devices[0].status().detail, 'hardware.rig.kind = none');
});

t.test('a replay camera opens its folder and reports what it is', async (t) => {
  const dir = t.testdir({});
  const frame = await encodePng({ width: 4, height: 3, channels: 1, bitDepth: 16, data: new Uint16Array(12).fill(1000) });
  writeFileSync(join(dir, 'a.png'), frame);
  writeFileSync(join(dir, 'filenames.txt'), 'a.png\n');
  const settings = validateSettings({ hardware: { rig: { kind: 'none' }, camera: { kind: 'replay', replay_dir: dir } } });
  const { devices } = await createDevices(settings, pino({ level: 'silent' }), new EventBus());
  const camera = devices[1];
  await camera.start();
  t.teardown(() => camera.stop());
  t.match(camera.status(), { device: 'camera', kind: 'replay', state: 'connected', info: { widthPx: 4, heightPx: 3 } });
});

t.test('a replay folder that does not exist is a camera fault, not a crash', async (t) => {
  const settings = validateSettings({ hardware: { rig: { kind: 'none' }, camera: { kind: 'replay', replay_dir: join(t.testdir({}), 'missing') } } });
  const [, camera] = (await createDevices(settings, pino({ level: 'silent' }), new EventBus())).devices;
  await t.rejects(camera.start());
  t.match(camera.status(), { state: 'fault', detail: /camera failed to open/ });
});

t.test('a serial rig with a GenICam camera is the hardware booth: both are the daemon\'s devices; an absent camera is a fault, not a crash', async (t) => {
  const dir = t.testdir({ 'camera.json': JSON.stringify({ intrinsicsPx: { fx: 1000, fy: 1000, cx: 320, cy: 240 } }) });
  const settings = validateSettings({
    data_dir: join(dir, 'data'),
    hardware: { rig: { kind: 'serial', port: join(dir, 'no-tty') }, camera: { kind: 'genicam', genicam: { id: 'Aravis-Fake-NOPE', intrinsics_file: join(dir, 'camera.json') } }, scanner: { kind: 'none' } },
  });
  const { devices, booth } = await createDevices(settings, pino({ level: 'silent' }), new EventBus());
  t.equal(booth?.kind, 'real', 'the booth the jobs run on');
  t.same(devices.map((d) => [d.status().device, d.status().kind]), [['rig', 'serial'], ['camera', 'genicam'], ['scanner', 'none']]);
  const camera = devices[1];
  await t.rejects(camera.start(), { code: 'GB_HW_ABSENT' });
  t.match(camera.status(), { state: 'fault', detail: /camera failed to open/ });
});
