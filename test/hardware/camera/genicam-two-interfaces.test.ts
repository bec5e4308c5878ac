// A booth PC has more than one network interface. Aravis' discovery broadcasts on all of them, and the fake
// camera on 127.0.0.1 answers the broadcast of the other interface too: opened by device id, serial or as
// "the first camera", Aravis then streamed to that other interface's address and no frame ever arrived
// (GB_CAMERA_TIMEOUT). The camera must be opened by its own address. Runs in its own network namespace
// with loopback and a veth pair.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fakeCameraUnavailable, FakeGenicam, inOwnNetworkNamespace } from './fake-genicam.ts';
import { loadAravis } from '../../../src/hardware/camera/genicam/aravis-addon.ts';
import { runCli } from '../../cli/run-cli.ts';

await inOwnNetworkNamespace(import.meta.url, { secondInterface: true });
const unavailable = fakeCameraUnavailable();

t.test('camera capture without an id, by serial and by device id, with a second interface up', { skip: unavailable ?? false }, async (t) => {
  const addon = loadAravis().addon!;
  const camera = new FakeGenicam('GB2IF');
  await camera.start(addon);
  t.teardown(() => camera.kill());
  const dir = t.testdir({});
  for (const [name, id] of [['first found', undefined], ['serial', 'GB2IF'], ['device id', camera.id]] as const) {
    const out = join(dir, `${name.replace(' ', '-')}.png`);
    const r = await runCli(['camera', 'capture', ...(id ? ['--id', id] : []), '--timeout-ms', '5000', '--out', out]);
    t.equal(r.code, 0, `${name}: ${r.stderr.trim()}`);
    const png = readFileSync(out);
    t.same([png.readUInt32BE(16), png.readUInt32BE(20), png[24]], [512, 512, 16], `${name}: a 16-bit frame of the reported size`);
  }
});
