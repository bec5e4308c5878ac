import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { m0001Initial } from '../../../src/storage/migrations/0001-initial.ts';
import { m0002Operators } from '../../../src/storage/migrations/0002-operators.ts';

t.test('0002 adds operators and ui_sessions, STRICT, with their constraints', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, [m0001Initial, m0002Operators]);
  t.equal(db.pragma('user_version', { simple: true }), 2);
  for (const name of ['operators', 'ui_sessions']) {
    const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as { sql: string };
    t.match(row.sql, /\)\s*STRICT$/, `${name} is STRICT`);
  }
  const now = new Date().toISOString();
  db.prepare("INSERT INTO operators (id, name, role, pin_hash, created_at, created_by) VALUES ('a1', 'Ana', 'operator', 'h', ?, 'test')").run(now);
  t.throws(() => db.prepare("INSERT INTO operators (id, name, role, pin_hash, created_at, created_by) VALUES ('a2', 'ANA', 'operator', 'h', ?, 'test')").run(now), /UNIQUE/, 'names unique without regard to case');
  t.throws(() => db.prepare("INSERT INTO operators (id, name, role, pin_hash, created_at, created_by) VALUES ('a3', 'Bo', 'fleet', 'h', ?, 'test')").run(now), /CHECK/);
  t.throws(() => db.prepare("INSERT INTO ui_sessions (secret_sha256, operator_id, created_at, last_seen_at, expires_at) VALUES (?, 'nobody', ?, ?, ?)").run('f'.repeat(64), now, now, now), /FOREIGN KEY/);
});
