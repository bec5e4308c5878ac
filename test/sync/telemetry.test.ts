// Telemetry samples: the rig's temperature only while its reading is fresh, the queue and calibration ages
// from the booth's own database, and always a payload that matches the published schema.
import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import { enqueueOutbox, outboxPriority } from '../../src/storage/outbox.ts';
import { telemetrySample } from '../../src/sync/telemetry.ts';
import type { DeviceStatus } from '../../src/hardware/device.ts';

const counters = { connects: 1, disconnects: 0, published: 2, acknowledged: 2, failed: 0, expired: 0, bytesSent: 900 };

t.test('a telemetry sample: fresh rig temperature, queue, disk, uptime', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'booth.sqlite'));
  t.teardown(() => db.close());
  const now = new Date('2026-12-06T20:00:00.000Z');
  let rig: DeviceStatus = { device: 'rig', kind: 'simulated', state: 'connected', detail: '', info: { tempC: 31.25, tempAt: '2026-12-06T19:59:50.000Z' } };
  enqueueOutbox(db, { topic: 'results', payload: { a: 1 }, qos: 1, priority: outboxPriority.result, kind: 'result' }, now);
  const sources = { db, devices: () => [rig], disk: async () => ({ freeBytes: 5e9, totalBytes: 1e10 }), link: () => counters, startedAtMs: now.getTime() - 90_000 };
  const s = await telemetrySample(sources, now);
  t.equal(s.rigTemperatureC, 31.25, 'a reading 10 s old is reported');
  t.match(s.queue, { rows: 1, byKind: { result: { rows: 1 } } });
  t.same(s.disk, { freeBytes: 5e9, totalBytes: 1e10 });
  t.equal(s.uptimeS, 90);
  t.same(s.link, counters);
  t.same(s.calibration, [], 'no calibration yet');

  rig = { ...rig, info: { tempC: 31.25, tempAt: '2026-12-06T19:58:00.000Z' } };
  t.equal((await telemetrySample(sources, now)).rigTemperatureC, null, 'a reading 2 minutes old is not reported as current');
  rig = { ...rig, info: { tempC: null, tempAt: '2026-12-06T19:59:59.000Z' } };
  t.equal((await telemetrySample(sources, now)).rigTemperatureC, null, 'open or shorted sensor: null');
  rig = { ...rig, info: {} };
  t.equal((await telemetrySample(sources, now)).rigTemperatureC, null, 'no reading yet: null');
});
