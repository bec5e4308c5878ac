import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import {
  clearOutboxBackoff,
  deleteOutbox,
  dropExpiredOutbox,
  enqueueOutbox,
  markOutboxAttempt,
  outboxFigures,
  outboxPriority,
  peekOutbox,
} from '../../src/storage/outbox.ts';

function tempDb(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'gb-outbox-'));
  const db = openDatabase(join(dir, 'booth.db'));
  t.teardown(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path: join(dir, 'booth.db') };
}

t.test('drains results before telemetry before datasets, oldest first within a class', async (t) => {
  const { db } = tempDb(t);
  enqueueOutbox(db, { topic: 'datasets/x', payload: Buffer.from([1, 2, 3]), qos: 1, priority: outboxPriority.dataset });
  enqueueOutbox(db, { topic: 'results', payload: { n: 1 }, qos: 1, priority: outboxPriority.result });
  enqueueOutbox(db, { topic: 'telemetry', payload: 'tele', qos: 0, priority: outboxPriority.telemetry });
  enqueueOutbox(db, { topic: 'results', payload: { n: 2 }, qos: 1, priority: outboxPriority.result });
  const rows = peekOutbox(db);
  t.same(rows.map((r) => r.kind), ['result', 'result', 'telemetry', 'dataset']);
  t.same(JSON.parse(rows[0].payload.toString()), { n: 1 });
  t.same(JSON.parse(rows[1].payload.toString()), { n: 2 });
  t.same([...rows[3].payload], [1, 2, 3], 'bytes kept as bytes');
  t.equal(rows[2].payload.toString(), 'tele');
  t.equal(rows[0].sizeBytes, 7);
});

t.test('enqueued inside the caller transaction: commits with the data, or not at all', async (t) => {
  const { db } = tempDb(t);
  const now = new Date().toISOString();
  const gradeAndAnnounce = db.transaction((fail: boolean) => {
    db.prepare("INSERT INTO cards (barcode, created_at) VALUES ('C-1', ?)").run(now);
    enqueueOutbox(db, { topic: 'results', payload: { barcode: 'C-1' }, qos: 1, priority: outboxPriority.result, messageId: 'result:C-1' });
    if (fail) throw new Error('stage failed after enqueue');
  });
  t.throws(() => gradeAndAnnounce(true), /stage failed/);
  t.equal(outboxFigures(db).rows, 0, 'the rolled-back stage left no message');
  t.equal((db.prepare('SELECT count(*) AS n FROM cards').get() as { n: number }).n, 0);
  gradeAndAnnounce(false);
  t.equal(outboxFigures(db).rows, 1);
});

t.test('the same message id queued twice is one row (a re-run stage does not send twice)', async (t) => {
  const { db } = tempDb(t);
  const a = enqueueOutbox(db, { topic: 'results', payload: 'a', qos: 1, priority: 100, messageId: 'result:g1' });
  const b = enqueueOutbox(db, { topic: 'results', payload: 'a', qos: 1, priority: 100, messageId: 'result:g1' });
  t.equal(a.inserted, true);
  t.equal(b.inserted, false);
  t.equal(a.id, b.id);
  t.equal(outboxFigures(db).rows, 1);
});

t.test('a row leaves only when deleted on acknowledgement; attempts and backoff are recorded', async (t) => {
  const { db, path } = tempDb(t);
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const { id } = enqueueOutbox(db, { topic: 'results', payload: 'r', qos: 1, priority: 100 }, t0);
  enqueueOutbox(db, { topic: 'results', payload: 's', qos: 1, priority: 100 }, t0);
  markOutboxAttempt(db, id, { now: t0, notBefore: new Date(t0.getTime() + 5000), error: 'GB_FLEET_OFFLINE' });
  const during = peekOutbox(db, { now: new Date(t0.getTime() + 1000) });
  t.same(during.map((r) => r.payload.toString()), ['s'], 'the row in backoff waits');
  const after = peekOutbox(db, { now: new Date(t0.getTime() + 5000) });
  t.equal(after[0].id, id, 'after its backoff it is first again');
  t.equal(after[0].attempts, 1);
  t.equal(after[0].lastError, 'GB_FLEET_OFFLINE');
  markOutboxAttempt(db, id, { now: t0, notBefore: new Date(t0.getTime() + 60_000) });
  t.equal(clearOutboxBackoff(db), 1);
  t.equal(peekOutbox(db, { now: t0 })[0].id, id, 'backoff lifted when the link returns');
  // Reopening the file (a crash) keeps every unacknowledged row.
  db.close();
  const reopened = openDatabase(path);
  t.equal(outboxFigures(reopened).rows, 2);
  t.equal(deleteOutbox(reopened, id), true);
  t.equal(deleteOutbox(reopened, id), false, 'a second ack of the same row is harmless');
  t.equal(outboxFigures(reopened).rows, 1);
  reopened.close();
  // tempDb's teardown closes the first handle again: better-sqlite3 allows close twice.
});

t.test('expired rows are not sent and are dropped', async (t) => {
  const { db } = tempDb(t);
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  enqueueOutbox(db, { topic: 'telemetry', payload: 't', qos: 0, priority: 50, expiresAt: new Date(t0.getTime() + 60_000) }, t0);
  enqueueOutbox(db, { topic: 'results', payload: 'r', qos: 1, priority: 100 }, t0);
  t.equal(peekOutbox(db, { now: t0 }).length, 2);
  t.same(peekOutbox(db, { now: new Date(t0.getTime() + 60_000) }).map((r) => r.kind), ['result']);
  t.equal(dropExpiredOutbox(db, new Date(t0.getTime() + 60_000)), 1);
  t.same(outboxFigures(db).byKind, { result: { rows: 1, bytes: 1 } });
});

t.test('a byte budget limits a batch but always lets one row through', async (t) => {
  const { db } = tempDb(t);
  for (let i = 0; i < 3; i++) enqueueOutbox(db, { topic: 'datasets/c', payload: Buffer.alloc(1000), qos: 1, priority: 10 });
  t.equal(peekOutbox(db, { maxBytes: 2500 }).length, 2);
  t.equal(peekOutbox(db, { maxBytes: 10 }).length, 1);
  t.equal(peekOutbox(db, { limit: 1 }).length, 1);
});

t.test('bad messages get clear GB_ errors and queue nothing', async (t) => {
  const { db } = tempDb(t);
  const ok = { topic: 'results', payload: 'x', qos: 1 as const, priority: 100 };
  t.throws(() => enqueueOutbox(db, { ...ok, topic: 'results/+' }), { code: 'GB_BAD_REQUEST', message: /wildcards/ });
  t.throws(() => enqueueOutbox(db, { ...ok, topic: '' }), { code: 'GB_BAD_REQUEST' });
  t.throws(() => enqueueOutbox(db, { ...ok, topic: '/results' }), { code: 'GB_BAD_REQUEST', message: /relative/ });
  t.throws(() => enqueueOutbox(db, { ...ok, qos: 3 as 1 }), { code: 'GB_BAD_REQUEST', message: /qos/ });
  t.throws(() => enqueueOutbox(db, { ...ok, priority: 1.5 }), { code: 'GB_BAD_REQUEST', message: /priority/ });
  t.throws(() => enqueueOutbox(db, { ...ok, messageId: '' }), { code: 'GB_BAD_REQUEST', message: /message id/ });
  t.throws(() => enqueueOutbox(db, { ...ok, payload: Buffer.alloc(9 * 1024 * 1024) }), { code: 'GB_PAYLOAD_TOO_LARGE' });
  t.throws(() => enqueueOutbox(db, { ...ok, expiresAt: new Date('nope') }), { code: 'GB_BAD_REQUEST' });
  t.equal(outboxFigures(db).rows, 0);
});
