import t, { type Test } from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore, sha256Hex } from '../../src/storage/file-store.ts';
import { CalibrationRepository } from '../../src/storage/calibrations.ts';

const DAY = 86_400_000;
const t0 = new Date('2026-11-01T10:00:00.000Z');
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);

async function setup(t: Test): Promise<{ repo: CalibrationRepository; db: ReturnType<typeof openDatabase>; store: FileStore; dir: string }> {
  const dir = t.testdir({});
  const db = openDatabase(join(dir, 'gb.sqlite'));
  t.teardown(() => db.close());
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  return { repo: new CalibrationRepository(db, store), db, store, dir };
}

t.test('save: versioned per procedure, JSON file in the store, blob row in the same transaction', async (t) => {
  const { repo, db, store } = await setup(t);
  const a = await repo.save({ procedure: 'lights', passed: true, figures: { meanResidualMm: 0.2 }, data: { leds: [[1, 2, 3]] }, validForMs: 30 * DAY, now: t0, createdBy: 'cli:tech' });
  const b = await repo.save({ procedure: 'lights', passed: false, figures: { meanResidualMm: 3 }, validForMs: 30 * DAY, now: at(1) });
  const d = await repo.save({ procedure: 'dark', passed: true, figures: { meanDn: 64.1 }, expiresAt: at(1), now: t0 });
  t.same([a.version, b.version, d.version], [1, 2, 1]);
  t.equal(a.createdAt, t0.toISOString());
  t.equal(a.expiresAt, at(30).toISOString());
  t.equal(a.createdBy, 'cli:tech');
  t.same(a.figures, { meanResidualMm: 0.2 });
  t.match(a.recordSha256, /^[0-9a-f]{64}$/);
  const bytes = readFileSync(store.pathOf(a.recordSha256 as string));
  t.equal(sha256Hex(bytes), a.recordSha256, 'the file is content-addressed');
  const doc = await repo.readDocument(a);
  t.same(doc.data, { leds: [[1, 2, 3]] });
  t.equal(doc.format, 'gradebooth-calibration/1');
  t.equal(doc.version, 1);
  const blob = db.prepare('SELECT * FROM blobs WHERE sha256 = ?').get(a.recordSha256) as { media_type: string; size_bytes: number };
  t.equal(blob.media_type, 'application/json');
  t.equal(blob.size_bytes, bytes.length);
  t.same(repo.procedures(), ['dark', 'lights']);
  t.same(repo.history('lights').map((r) => r.version), [2, 1], 'history is newest first');
  t.equal(repo.history().length, 3);
});

t.test('concurrent saves of one procedure get distinct consecutive versions', async (t) => {
  const { repo } = await setup(t);
  const saved = await Promise.all([1, 2, 3].map((i) => repo.save({ procedure: 'flat', passed: true, figures: { i }, validForMs: DAY, now: t0 })));
  t.same(saved.map((r) => r.version).sort(), [1, 2, 3]);
});

t.test('latest valid skips failed and expired runs; validFor says what is missing and what to run', async (t) => {
  const { repo } = await setup(t);
  await repo.save({ procedure: 'dark', passed: true, figures: {}, validForMs: 1 * DAY, now: t0 });
  await repo.save({ procedure: 'flat', passed: true, figures: {}, validForMs: 7 * DAY, now: t0 });
  await repo.save({ procedure: 'flat', passed: false, figures: { why: 'LED 3 dim' }, validForMs: 7 * DAY, now: at(2) });
  await repo.save({ procedure: 'scale', passed: false, figures: {}, validForMs: 30 * DAY, now: t0 });
  t.equal(repo.latestValid('flat', at(3))?.version, 1, 'a newer failed run does not replace a valid one');
  t.equal(repo.latest('flat')?.version, 2);
  t.equal(repo.latestValid('dark', at(2)), undefined, 'expired');

  const check = repo.validFor(['dark', 'flat', 'lights', 'scale'], at(2));
  t.equal(check.ok, false);
  t.same(check.missing, ['lights']);
  t.same(check.expired, ['dark']);
  t.same(check.failed, ['scale']);
  t.match(check.message, /missing: lights; expired: dark; failed: scale; run `gradebooth calibrate run`/);
  const flat = check.statuses.find((s) => s.procedure === 'flat');
  t.equal(flat?.state, 'valid');
  t.match(flat?.message, /newer run v2 failed/);

  await repo.save({ procedure: 'dark', passed: true, figures: {}, validForMs: 1 * DAY, now: at(2) });
  await repo.save({ procedure: 'lights', passed: true, figures: {}, validForMs: 30 * DAY, now: at(2) });
  await repo.save({ procedure: 'scale', passed: true, figures: {}, validForMs: 30 * DAY, now: at(2) });
  const again = repo.validFor(['dark', 'flat', 'lights', 'scale'], at(2.5));
  t.equal(again.ok, true, again.message);
  t.equal(repo.validFor(['dark'], at(3.5)).ok, false, 'and it expires again a day later');
  t.equal(repo.validFor(['flat'], at(8)).statuses[0].state, 'failed', 'the last run failed and the good one expired');
});

t.test('bad input is refused with coded errors and stores nothing', async (t) => {
  const { repo, db } = await setup(t);
  await t.rejects(repo.save({ procedure: 'Bad Name', passed: true, figures: {}, validForMs: DAY }), { code: 'GB_USAGE' });
  await t.rejects(repo.save({ procedure: 'dark', passed: true, figures: {} }), { code: 'GB_BAD_REQUEST' });
  await t.rejects(repo.save({ procedure: 'dark', passed: true, figures: {}, expiresAt: t0, now: at(1) }), { code: 'GB_BAD_REQUEST' });
  await t.rejects(repo.save({ procedure: 'dark', passed: true, figures: [] as never, validForMs: DAY }), { code: 'GB_BAD_REQUEST' });
  t.equal(db.prepare('SELECT COUNT(*) FROM calibrations').pluck().get(), 0);
  t.equal(repo.get('nope'), undefined);
});
