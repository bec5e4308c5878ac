// `gradebooth camera list|identify|capture` against Aravis' fake GigE Vision camera on loopback, in this
// file's own network namespace (the CLI runs as a child process and shares it): the acceptance
// checks, and a killed camera giving a GB_ error instead of a hang.
import { FakeGenicam, fakeCameraUnavailable, inOwnNetworkNamespace } from '../hardware/camera/fake-genicam.ts';

await inOwnNetworkNamespace(import.meta.url);
const { default: t } = await import('tap');
const { mkdtemp, readFile, rm } = await import('node:fs/promises');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { decodePng } = await import('../../src/imaging/png.ts');
const { loadAravis } = await import('../../src/hardware/camera/genicam/aravis-addon.ts');
const { runCli } = await import('./run-cli.ts');

function lastJson(stdout: string): Record<string, any> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

t.test('without the addon, the reason is given', async (t) => {
  const missing = loadAravis('/nonexistent/gradebooth_aravis.node');
  t.equal(missing.addon, undefined);
  t.match(missing.reason, /not built .*libaravis-dev/);
});

const unavailable = fakeCameraUnavailable();
if (unavailable) {
  t.test('camera list says why there is no GenICam camera', async (t) => {
    const r = await runCli(['camera', 'list', '--json']);
    t.equal(r.code, 0);
    t.match(lastJson(r.stdout), { available: false, reason: /./, cameras: [] });
  });
} else {
  const addon = loadAravis().addon!;
  const fake = new FakeGenicam('GB020');
  await fake.start(addon);
  t.teardown(() => fake.kill());
  const dir = await mkdtemp(join(tmpdir(), 'gb-camera-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  t.test('camera list --json lists the fake camera', async (t) => {
    const r = await runCli(['camera', 'list', '--json']);
    t.equal(r.code, 0, r.stderr);
    t.match(lastJson(r.stdout), { available: true, cameras: [{ id: 'Aravis-Fake-GB020', vendor: 'Aravis', model: 'Fake', serial: 'GB020', address: '127.0.0.1' }] });
  });

  t.test('camera identify --json reports vendor, model, serial, firmware, sensor size and formats', async (t) => {
    const r = await runCli(['camera', 'identify', '--json']);
    t.equal(r.code, 0, r.stderr);
    const id = lastJson(r.stdout);
    t.match(id, { vendor: 'Aravis', model: 'Fake', serial: 'GB020', firmware: /^\d+\.\d+/, sensorWidthPx: 2048, sensorHeightPx: 2048, pixelFormats: ['Mono8', 'Mono12', 'Mono16'] });
    t.ok(id.cameraPixelFormats.includes('Mono16'));
    const byId = await runCli(['camera', 'identify', '--id', 'Aravis-Fake-GB020', '--json']);
    t.match(lastJson(byId.stdout), { serial: 'GB020', openedAs: 'Aravis-Fake-GB020' });
  });

  t.test('camera capture --out writes a 16-bit PNG of the reported size', async (t) => {
    const out = join(dir, 'f.png');
    const id = lastJson((await runCli(['camera', 'identify', '--json'])).stdout);
    const r = await runCli(['camera', 'capture', '--exposure-us', '5000', '--out', out]);
    t.equal(r.code, 0, r.stderr);
    const report = lastJson(r.stdout);
    t.match(report, { out, widthPx: id.widthPx, heightPx: id.heightPx, pixelFormat: 'Mono16', exposureUs: 5000 });
    const png = await decodePng(await readFile(out));
    t.same([png.width, png.height, png.channels, png.bitDepth], [id.widthPx, id.heightPx, 1, 16]);
    t.ok(report.max > report.min, 'the frame has an image');
  });

  t.test('bad options are GB_USAGE', async (t) => {
    const r = await runCli(['camera', 'capture', '--pixel-format', 'Mono10', '--out', join(dir, 'x.png')]);
    t.not(r.code, 0);
    t.match(r.stderr, /GB_USAGE.*Mono10/);
  });

  t.test('with the camera killed, capture fails with a GB_ error instead of hanging', async (t) => {
    await fake.kill();
    const r = await runCli(['camera', 'capture', '--id', 'Aravis-Fake-GB020', '--timeout-ms', '500', '--out', join(dir, 'gone.png')]);
    t.not(r.code, 0);
    t.match(r.stderr, /GB_HW_ABSENT.*Aravis-Fake-GB020/);
  });
}
