// The capture sequencer against the real firmware in simavr and the simulated camera in hardware-trigger
// mode, at 300×412: a whole side stored (PNG + rows in one transaction), and the faults that must leave
// the LEDs off and nothing stored.
import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedBooth } from '../../src/booth/simulated-booth.ts';
import { captureSide } from '../../src/capture/sequencer.ts';
import { storeSideCapture } from '../../src/capture/frame-store.ts';
import { EventBus } from '../../src/core/events.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore } from '../../src/storage/file-store.ts';
import { decodePng } from '../../src/imaging/png.ts';
import type { Camera } from '../../src/hardware/camera/camera.ts';

const dir = await mkdtemp(join(tmpdir(), 'gb-capture-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

let booth: Awaited<ReturnType<typeof createSimulatedBooth>> | undefined;
let skip: string | false = false;
try {
  booth = await createSimulatedBooth({ widthPx: 300, heightPx: 410, threads: 1 });
  await booth.start();
} catch (err) {
  skip = `simulated booth unavailable (needs simavr and the built firmware): ${(err as Error).message}`;
}
if (booth) t.teardown(() => booth?.stop());

/** Frames the application holds: every test must leave none behind. */
const held = (): number => booth!.camera.streamStatistics().held;

const litNow = (): number[] => {
  const { levels, blankHigh } = booth!.sim.rig.pinState();
  return blankHigh ? new Array(24).fill(0) : levels;
};

/**
 * The LED levels once the simulator's pin trace has caught up. The trace reaches the host on its own pipe,
 * apart from the UART: on a loaded machine SEQ_DONE (sent by the firmware after BLANK went high) can arrive
 * before the BLANK edge does. A lit LED that stays lit for a whole second is a real failure.
 */
const litSettled = async (): Promise<number[]> => {
  for (const until = Date.now() + 1000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    if (litNow().every((v) => v === 0)) break;
  }
  return litNow();
};

t.test('one side: dark + 24 LED frames matched to the firmware steps, stored in one go', { skip }, async (t) => {
  const b = booth!;
  await b.sim.place({ kind: 'card', seed: 2, side: 'front' });
  const bus = new EventBus();
  const seen: number[] = [];
  bus.on('job.progress', (e) => seen.push(e.data.fraction));
  const cap = await captureSide(b, { exposureUs: 8000, bus, jobId: 'job-1' });
  t.equal(cap.frames.length, 24);
  t.equal(cap.dark.lightIndex, -1);
  t.same(cap.frames.map((f) => f.ledChannel), Array.from({ length: 24 }, (_, i) => i));
  t.ok(seen.length >= 26 && seen[seen.length - 1] === 1, `progress events (${seen.length}) end at 1`);
  // The dark frame sits at the black level (64 DN × 16 in Mono16); a lit frame is far above it.
  const mean = (d: Uint16Array): number => d.reduce((a, v) => a + v, 0) / d.length;
  t.ok(mean(cap.dark.data) < 64 * 16 + 40, `dark frame mean ${mean(cap.dark.data).toFixed(0)} DN`);
  t.ok(cap.frames.every((f) => mean(f.data) > mean(cap.dark.data) + 100), 'every LED frame is lit');
  for (const f of cap.frames) t.ok(f.exposure && f.exposure.saturatedFraction < 0.02, `LED ${f.ledChannel}: saturated ${(100 * f.exposure!.saturatedFraction).toFixed(3)}%`);
  t.comment(`capture of 25 frames at 300×410: ${cap.timingsMs.total.toFixed(0)} ms; issues: ${cap.issues.map((i) => i.message).join(' | ') || 'none'}`);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off after the sequence');

  const db = openDatabase(join(dir, 'ok.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store-ok'));
  await store.init();
  const now = new Date().toISOString();
  const stored = await storeSideCapture(db, store, cap, { scanId: 'scan-1' }, (d) => {
    d.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES ('job-1', 'scan', 'running', ?, ?)").run(now, now);
    d.prepare("INSERT INTO scans (id, job_id, side, created_at) VALUES ('scan-1', 'job-1', 'front', ?)").run(now);
  });
  t.equal(stored.length, 25);
  t.equal(db.prepare('SELECT COUNT(*) FROM frames WHERE scan_id = ?').pluck().get('scan-1'), 25);
  const png = await decodePng(await store.get(stored[5].sha256));
  t.equal(png.bitDepth, 16);
  t.same([png.width, png.height], [300, 410]);
  t.same(Array.from(png.data.subarray(0, 50)), Array.from(cap.frames[4].data.subarray(0, 50)), 'PNG holds the frame samples');

  // A failing transaction (the scan row refers to a job that does not exist) leaves no rows and no new files.
  const store2 = new FileStore(join(dir, 'store-rollback'));
  await store2.init();
  await t.rejects(storeSideCapture(db, store2, cap, { scanId: 'scan-2' }, (d) => {
    d.prepare("INSERT INTO scans (id, job_id, side, created_at) VALUES ('scan-2', 'no-such-job', 'front', ?)").run(now);
  }));
  t.equal(db.prepare('SELECT COUNT(*) FROM frames WHERE scan_id = ?').pluck().get('scan-2'), 0, 'no frame rows');
  const left = (await readdir(join(dir, 'store-rollback'))).filter((n) => n !== 'tmp');
  const files = (await Promise.all(left.map((d) => readdir(join(dir, 'store-rollback', d))))).flat();
  t.same(files, [], 'the files written for it were deleted');
  t.equal(held(), 25, 'the capture holds its 25 frames until released');
  cap.release();
  cap.release();
  t.equal(held(), 0, 'release() gives them all back (twice is harmless)');
  t.throws(() => cap.frames[3].data, { code: 'GB_CONFLICT' }, 'a released frame cannot be read');
});

t.test('a second capture reuses the first one\'s frame buffers', { skip }, async (t) => {
  const b = booth!;
  await b.sim.place({ kind: 'card', seed: 2, side: 'front' });
  const first = await captureSide(b, { exposureUs: 8000 });
  const before = b.camera.streamStatistics();
  const firstBuffers = new Set([first.dark, ...first.frames].map((f) => f.data.buffer));
  first.release();
  const after = b.camera.streamStatistics();
  t.same([after.held, after.free, after.allocated], [0, before.allocated, before.allocated], 'all buffers free after release');
  const second = await captureSide(b, { exposureUs: 8000 });
  const stats = b.camera.streamStatistics();
  t.equal(stats.allocated, before.allocated, `no new buffers (${stats.allocated} allocated of ${stats.bufferCount})`);
  t.ok([second.dark, ...second.frames].every((f) => firstBuffers.has(f.data.buffer)), 'every frame of the second capture is in a buffer of the first');
  t.ok(second.frames.every((f) => f.exposure && f.exposure.meanSignalDn > 100), 'and holds its own exposure');
  second.release();
  t.equal(held(), 0);
});

t.test('frames not released: the next capture underruns with a clear error, nothing crashes', { skip }, async (t) => {
  const b = booth!;
  await b.sim.place({ kind: 'card', seed: 2, side: 'front' });
  const { bufferCount } = b.camera.streamStatistics();
  await b.camera.configure({ bufferCount: 10 });
  t.teardown(() => b.camera.configure({ bufferCount }));
  const kept = await captureSide(b, { exposureUs: 8000, leds: [0, 1, 2, 3, 4, 5, 6, 7] });
  t.equal(held(), 9, 'nine frames kept');
  const faults: string[] = [];
  const off = b.camera.on('error', (e) => faults.push(String(e.details?.reason)));
  const err = await captureSide(b, { exposureUs: 8000, leds: [8, 9, 10] }).then(() => undefined, (e) => e);
  off();
  t.equal(err?.code, 'GB_CAPTURE_FRAME_LOST', err?.message);
  // The 9 kept frames and this capture's dark frame.
  t.match(err?.message, /buffer underrun.*all 10 frame buffers are in use.*10 held by the application/);
  t.ok(faults.includes('buffer-underrun'), 'the camera reported the underrun as an error event');
  t.ok(b.camera.streamStatistics().underruns >= 1);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off');
  t.equal(b.camera.state, 'open', 'camera disarmed');
  t.equal(held(), 9, 'the failed capture gave back what it had taken');
  t.ok(kept.frames[7].data.length > 0, 'the kept frames are still readable');
  kept.release();
  const s = b.camera.streamStatistics();
  t.same([s.held, s.free], [0, s.allocated], 'everything back in the pool');
  const again = await captureSide(b, { exposureUs: 8000, leds: [8, 9, 10] });
  t.equal(again.frames.length, 3, 'released buffers serve the next capture');
  again.release();
});

t.test('exposure checks: a saturating exposure fails with figures', { skip }, async (t) => {
  const b = booth!;
  await b.sim.place({ kind: 'white', seed: 1 });
  const err = await captureSide(b, { exposureUs: 400_000, leds: [20, 21] }).then(() => undefined, (e) => e);
  t.equal(err?.code, 'GB_CAPTURE_EXPOSURE', err?.message);
  t.match(err?.message, /saturated/);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off');
  t.equal(held(), 0, 'frames released');
});

/** A camera that loses one delivered frame: what a dropped USB packet looks like to the host. */
class LosingCamera implements Camera {
  private seen = 0;
  constructor(private readonly inner: Camera, private readonly lose: number) {}
  get state() { return this.inner.state; }
  open() { return this.inner.open(); }
  configure(c: Parameters<Camera['configure']>[0]) { return this.inner.configure(c); }
  startAcquisition() { return this.inner.startAcquisition(); }
  stopAcquisition() { return this.inner.stopAcquisition(); }
  softwareTrigger() { return this.inner.softwareTrigger(); }
  async nextFrame(timeoutMs?: number) {
    for (;;) {
      const f = await this.inner.nextFrame(timeoutMs);
      if (this.seen++ !== this.lose) return f;
      f.release();
    }
  }
  frames(signal?: AbortSignal) { return this.inner.frames(signal); }
  close() { return this.inner.close(); }
  streamStatistics() { return this.inner.streamStatistics(); }
  on: Camera['on'] = (e, l) => this.inner.on(e, l);
}

t.test('a lost frame fails the capture with a coded error, LEDs off', { skip }, async (t) => {
  const b = booth!;
  await b.sim.place({ kind: 'card', seed: 3 });
  const camera = new LosingCamera(b.camera, 6);
  const err = await captureSide({ rig: b.rig, camera }, { exposureUs: 8000, leds: [0, 1, 2, 3, 4, 5, 6, 7], frameTimeoutMs: 3000 }).then(() => undefined, (e) => e);
  t.equal(err?.code, 'GB_CAPTURE_FRAME_LOST', err?.message);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off');
  t.equal(b.camera.state, 'open', 'camera disarmed');
  t.equal(held(), 0, 'frames released');
});

t.test('a camera that stops delivering times out: GB_CAMERA_TIMEOUT, sequence aborted, LEDs off', { skip }, async (t) => {
  const b = booth!;
  // Long steps so the rig is still mid-sequence when the camera gives up.
  const run = captureSide(b, { exposureUs: 300_000, level: 200, leds: [0, 1, 2, 3, 4, 5], frameTimeoutMs: 150, exposureLimits: { minP99Fraction: 0, warnP99Fraction: 0 } });
  const err = await run.then(() => undefined, (e) => e);
  t.equal(err?.code, 'GB_CAMERA_TIMEOUT', err?.message);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off');
  t.equal(held(), 0, 'frames released');
  t.equal(b.rig.health().state === 'connected' ? 'ok' : b.rig.health().state, 'ok', 'rig still connected');
});

t.test('a firmware reset mid-capture fails it with GB_RIG_RESET and leaves the LEDs off', { skip }, async (t) => {
  const b = booth!;
  const bus = new EventBus();
  let resetDone = false;
  bus.on('job.progress', (e) => {
    if (!resetDone && e.data.fraction > 0.2) {
      resetDone = true;
      b.sim.rig.reset();
    }
  });
  const err = await captureSide(b, { exposureUs: 20_000, bus, jobId: 'j' }).then(() => undefined, (e) => e);
  t.ok(resetDone, 'reset injected');
  t.match(err?.code, /^GB_RIG_(RESET|DISCONNECTED|SEQUENCE_ABORTED|TIMEOUT)$/, `${err?.code}: ${err?.message}`);
  t.same(await litSettled(), new Array(24).fill(0), 'LEDs off');
  // The driver recovers on the new boot: the next capture works.
  // The driver re-identifies the new boot (it may restart its link to do so); retry until it has.
  let again;
  for (let tries = 0; ; tries++) {
    try {
      await b.rig.ready(10_000);
      again = await captureSide(b, { exposureUs: 8000, leds: [3, 4] });
      break;
    } catch (e) {
      if (tries > 20 || !/^GB_RIG_/.test((e as { code?: string }).code ?? '')) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  t.equal(again.frames.length, 2, 'a capture after the reset works');
  again.release();
  t.equal(held(), 0, 'frames released');
});

t.test("a host-timeout fault latched while this process was busy is cleared; the capture works", { skip }, async (t) => {
  const b = booth!;
  const limitMs = b.rig.currentConfig().hostTimeoutMs;
  // Block the event loop past the rig's host timeout: the firmware turns the LEDs off and latches the fault.
  const until = Date.now() + limitMs + 700;
  while (Date.now() < until);
  await new Promise((r) => setTimeout(r, 100));
  const before = await b.rig.status();
  t.ok(before.faults & 0x0001, `HOST_TIMEOUT latched (faults 0x${before.faults.toString(16)})`);
  const cap = await captureSide(b, { exposureUs: 8000, leds: [5, 6] });
  t.equal(cap.frames.length, 2, 'captured');
  cap.release();
  t.equal((await b.rig.status()).faults & 0x0001, 0, 'fault cleared');
});
