// The technician's rig diagnostics over the real API, on a real simulated booth (the firmware in simavr on
// its pty, driven by the real serial driver) with its job runner: identity, live temperature and levels,
// link counters that move, one LED at a time, all off, the automatic off before the firmware's on-time
// limit, technicians only, refused while a job holds the booth, and audited.
import t from 'tap';
import { join } from 'node:path';
import { buildTestApi } from './helpers.ts';
import { privateDir } from '../calibration/temp-dir.ts';
import { createBooth } from '../../src/booth/create-booth.ts';
import { validateSettings } from '../../src/config/load.ts';
import { createBoothJobs } from '../../src/booth-jobs.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { EventBus } from '../../src/core/events.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { RigDiagnostics } from '../../src/hardware/rig/diagnostics.ts';
import { AuditLog } from '../../src/storage/audit-log.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

t.test('rig diagnostics: light an LED, read temperature and counters, all off; technicians only; never under a job', { skip }, async (t) => {
  const dir = privateDir(t, 'rigdiag');
  const settings = validateSettings({ data_dir: join(dir, 'data') });
  const booth = await createBooth(settings, { sim: true, size: { widthPx: 150, heightPx: 205 }, command: 'test' });
  t.teardown(() => booth.stop());
  await booth.start();
  const db = openDatabase(join(dir, 'jobs.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  const { runner } = createBoothJobs({ booth, db, store, bus: new EventBus(), settings });
  await runner.start();
  t.teardown(() => runner.stop());
  // As the daemon wires it (Daemon.rigDiagnostics).
  const diagnostics = new RigDiagnostics(booth.rig, (what, use) => runner.withHardware(what, use));
  t.teardown(() => diagnostics.stop());
  const api = await buildTestApi(dir, undefined, {}, { jobs: runner, rigDiagnostics: diagnostics });
  t.teardown(() => api.close());
  const tech = { authorization: `Bearer ${api.technician}` };

  for (const [method, url] of [['GET', '/api/rig/diagnostics'], ['POST', '/api/rig/leds'], ['DELETE', '/api/rig/leds'], ['POST', '/api/rig/faults/clear']] as const) {
    const res = await api.app.inject({ method, url, headers: { authorization: `Bearer ${api.operator}` }, ...(method === 'POST' && url === '/api/rig/leds' ? { payload: { led: 1 } } : {}) });
    t.equal(res.statusCode, 403, `${method} ${url}: operators are refused`);
  }

  const first = await api.app.inject({ url: '/api/rig/diagnostics', headers: tech });
  t.equal(first.statusCode, 200, first.body.slice(0, 300));
  const r0 = first.json();
  t.match(r0, { state: /^(connected|fault)$/, firmwareVersion: /^\d+\.\d+\.\d+$/, protocolVersion: Number, channels: 24, statusError: null, lit: null });
  t.type(r0.rig.tempC, 'number', 'the thermistor reads a temperature');
  t.ok(r0.rig.tempC > -40 && r0.rig.tempC < 150, `a plausible temperature (${r0.rig.tempC} °C)`);
  t.same(r0.rig.levels, new Array(24).fill(0), 'everything is off');

  const lit = await api.app.inject({ method: 'POST', url: '/api/rig/leds', headers: tech, payload: { led: 7, level: 2000 } });
  t.equal(lit.statusCode, 200, lit.body.slice(0, 300));
  const r1 = lit.json();
  t.same(r1.rig.levels, Array.from({ length: 24 }, (_, i) => (i === 7 ? 2000 : 0)), 'the firmware holds LED 7 lit, alone');
  t.match(r1.lit, { led: 7, level: 2000 });
  t.same(r1.faults, [], 'the host-silence fault a busy start-up may have latched is cleared, as a capture does');
  t.ok(Date.parse(r1.lit.offAt) - Date.parse(r1.at) < r1.rig.maxOnMs, 'it goes off before the on-time limit');
  t.ok(r1.counters.txFrames > r0.counters.txFrames && r1.counters.rxFrames > r0.counters.rxFrames, `the link counters moved (tx ${r0.counters.txFrames} → ${r1.counters.txFrames})`);

  // While an LED is lit the booth is held: a job waits for it, and gets the booth once the LED is off.
  const other = await api.app.inject({ method: 'POST', url: '/api/rig/leds', headers: tech, payload: { led: 12 } });
  t.same(other.json().rig.levels, Array.from({ length: 24 }, (_, i) => (i === 12 ? 4095 : 0)), 'lighting another LED turns the first off');
  const off = await api.app.inject({ method: 'DELETE', url: '/api/rig/leds', headers: tech });
  t.equal(off.statusCode, 200);
  t.same(off.json().rig.levels, new Array(24).fill(0), 'all off');
  t.equal(off.json().lit, null);

  // A job holds the booth: refused with a code and the job's name, nothing sent to the rig.
  const job = await runner.submit('calibration', {});
  for (const [method, url] of [['GET', '/api/rig/diagnostics'], ['POST', '/api/rig/leds']] as const) {
    const busy = await api.app.inject({ method, url, headers: tech, ...(method === 'POST' ? { payload: { led: 3 } } : {}) });
    t.equal(busy.statusCode, 409, `${method} ${url} while a job runs`);
    t.match(busy.json(), { code: 'GB_CONFLICT', message: new RegExp(`in use by calibration job ${job.id}.*no (rig|LED) diagnostics until it is done`) });
  }
  runner.cancel(job.id);
  await runner.wait(job.id);

  // The daemon turns a forgotten LED off just before the firmware would latch ON_TIME.
  await booth.rig.setConfig({ maxOnMs: 1500 });
  t.teardown(() => booth.rig.setConfig({ maxOnMs: 5000 }));
  const brief = (await api.app.inject({ method: 'POST', url: '/api/rig/leds', headers: tech, payload: { led: 2 } })).json();
  t.match(brief.lit, { led: 2 });
  let after = brief;
  while (after.lit !== null) {
    await new Promise((r) => setTimeout(r, 200));
    after = (await api.app.inject({ url: '/api/rig/diagnostics', headers: tech })).json();
  }
  t.same(after.rig.levels, new Array(24).fill(0), 'off by itself');
  t.same(after.faults, [], 'before the firmware latched ON_TIME');

  const bad = await api.app.inject({ method: 'POST', url: '/api/rig/leds', headers: tech, payload: { led: 24 } });
  t.equal(bad.statusCode, 400, 'an LED that does not exist is refused');
  t.equal(bad.json().code, 'GB_VALIDATION');

  const actions = new AuditLog(api.db).recent(50).map((e) => `${e.action} ${e.target ?? ''}`.trim());
  t.ok(actions.includes('rig.led_on 7') && actions.includes('rig.led_on 12') && actions.includes('rig.leds_off'), `audited: ${actions.join(', ')}`);

  const boothless = await buildTestApi(privateDir(t, 'rigdiag-none'));
  t.teardown(() => boothless.close());
  const none = await boothless.app.inject({ url: '/api/rig/diagnostics', headers: { authorization: `Bearer ${boothless.technician}` } });
  t.match(none.json(), { code: 'GB_HW_ABSENT' }, 'a daemon without a booth says so');
});
