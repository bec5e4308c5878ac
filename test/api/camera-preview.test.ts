// The technician's camera live view over the real API, on a real simulated booth (the firmware in simavr,
// the rendered camera) with its job runner: an image of the tray lit by the chosen LED, technicians only,
// refused while a job holds the booth, and a parameter out of range refused before any capture.
import t from 'tap';
import { join } from 'node:path';
import { buildTestApi } from './helpers.ts';
import { privateDir } from '../calibration/temp-dir.ts';
import { createBooth } from '../../src/booth/create-booth.ts';
import { validateSettings } from '../../src/config/load.ts';
import { createBoothJobs } from '../../src/booth-jobs.ts';
import { capturePreview } from '../../src/capture/preview.ts';
import { decodePng } from '../../src/imaging/png.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { EventBus } from '../../src/core/events.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

t.test('GET /api/camera/preview: one capture through the booth, technicians only, never under a job', { skip }, async (t) => {
  const dir = privateDir(t, 'preview');
  const settings = validateSettings({ data_dir: join(dir, 'data') });
  const booth = await createBooth(settings, { sim: true, size: { widthPx: 150, heightPx: 205 }, command: 'test' });
  t.teardown(() => booth.stop());
  await booth.start();
  await booth.sim!.place({ kind: 'white', seed: 1 });
  const db = openDatabase(join(dir, 'jobs.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  const { runner } = createBoothJobs({ booth, db, store, bus: new EventBus(), settings });
  await runner.start();
  t.teardown(() => runner.stop());
  // As the daemon wires it (Daemon.previewService).
  const api = await buildTestApi(dir, undefined, {}, { jobs: runner, cameraPreview: (o) => runner.withHardware('camera preview', () => capturePreview(booth, o)) });
  t.teardown(() => api.close());

  const asOperator = await api.app.inject({ url: '/api/camera/preview', headers: { authorization: `Bearer ${api.operator}` } });
  t.equal(asOperator.statusCode, 403, 'operators may not look through the camera');

  const res = await api.app.inject({ url: '/api/camera/preview?led=3&exposureUs=20000&maxSidePx=100', headers: { authorization: `Bearer ${api.technician}` } });
  t.equal(res.statusCode, 200, res.body.slice(0, 200));
  t.equal(res.headers['content-type'], 'image/png');
  t.equal(res.headers['cache-control'], 'no-store');
  t.equal(res.headers['x-preview-frame'], '150x205', 'made from a whole camera frame');
  t.equal(res.headers['x-preview-binning'], '3');
  const img = await decodePng(res.rawPayload, 'preview');
  t.match(img, { width: 50, height: 68, channels: 1, bitDepth: 8 }, 'binned 3× to fit 100 px');
  const values = Array.from(img.data);
  const bright = values.filter((v) => v > 128).length / values.length;
  t.ok(bright > 0.2, `the white target lit by LED 3 shows (${(100 * bright).toFixed(0)}% of pixels above half)`);
  t.equal(Math.max(...values), 255, 'stretched to white');
  t.equal(booth.camera.streamStatistics().held, 0, 'the camera has every buffer back');

  // A job holds the booth from the moment it starts: no preview under it, and the refusal names it.
  const job = await runner.submit('calibration', {});
  const busy = await api.app.inject({ url: '/api/camera/preview', headers: { authorization: `Bearer ${api.technician}` } });
  t.equal(busy.statusCode, 409);
  t.match(busy.json(), { code: 'GB_CONFLICT', message: new RegExp(`in use by calibration job ${job.id}.*no camera preview until it is done`) });
  runner.cancel(job.id);
  await runner.wait(job.id);

  const bad = await api.app.inject({ url: '/api/camera/preview?led=24', headers: { authorization: `Bearer ${api.technician}` } });
  t.equal(bad.statusCode, 400, 'an LED that does not exist is refused');
  const boothless = await buildTestApi(privateDir(t, 'preview-none'));
  t.teardown(() => boothless.close());
  const none = await boothless.app.inject({ url: '/api/camera/preview', headers: { authorization: `Bearer ${boothless.technician}` } });
  t.match(none.json(), { code: 'GB_HW_ABSENT', message: /no booth/ }, 'a daemon without a booth says so');
});
