import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { m0001Initial } from '../../../src/storage/migrations/0001-initial.ts';
import { m0002Operators } from '../../../src/storage/migrations/0002-operators.ts';
import { m0003Jobs } from '../../../src/storage/migrations/0003-jobs.ts';
import { m0004TokenExpiry } from '../../../src/storage/migrations/0004-token-expiry.ts';
import { m0005OutboxDelivery } from '../../../src/storage/migrations/0005-outbox-delivery.ts';

t.test('0005 rebuilds the outbox with message ids, expiry, backoff and sizes, keeping queued rows', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, [m0001Initial, m0002Operators, m0003Jobs, m0004TokenExpiry]);
  const now = new Date().toISOString();
  db.prepare("INSERT INTO outbox (topic, payload, qos, priority, created_at) VALUES ('gradebooth/v1/b/results', ?, 1, 100, ?)").run(Buffer.from('{"a":1}'), now);
  migrate(db, [m0001Initial, m0002Operators, m0003Jobs, m0004TokenExpiry, m0005OutboxDelivery]);
  t.equal(db.pragma('user_version', { simple: true }), 5);
  const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get() as { sql: string }).sql;
  t.match(sql, /\)\s*STRICT$/, 'outbox is STRICT');
  const kept = db.prepare('SELECT * FROM outbox').all() as Array<Record<string, unknown>>;
  t.equal(kept.length, 1, 'the queued row survives');
  t.equal(kept[0].size_bytes, 7);
  t.match(kept[0].message_id, /^[0-9a-f]{32}$/, 'a generated message id');
  t.equal(kept[0].topic, 'gradebooth/v1/b/results');

  const insert = db.prepare('INSERT INTO outbox (message_id, topic, payload, size_bytes, created_at) VALUES (?, ?, ?, ?, ?)');
  insert.run('m1', 't', Buffer.from('x'), 1, now);
  t.throws(() => insert.run('m1', 't', Buffer.from('y'), 1, now), /UNIQUE/, 'message ids are unique');
  t.throws(() => insert.run('m2', 't', Buffer.from('y'), -1, now), /CHECK/, 'sizes are not negative');
  t.throws(() => db.prepare("INSERT INTO outbox (message_id, topic, payload, size_bytes, retain, created_at) VALUES ('m3', 't', x'00', 1, 2, ?)").run(now), /CHECK/);

  const plan = (q: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${q}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  t.match(plan('SELECT * FROM outbox ORDER BY priority DESC, id LIMIT 10'), /outbox_drain_order/, 'drain order from the index');
  t.match(plan("SELECT id FROM outbox WHERE message_id = 'm1'"), /INDEX sqlite_autoindex_outbox/, 'message id lookups by index');
});
