import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { m0001Initial } from '../../../src/storage/migrations/0001-initial.ts';

const tables = ['blobs', 'cards', 'calibrations', 'jobs', 'scans', 'frames', 'models', 'grades', 'defects', 'outbox', 'api_tokens', 'audit_log'];

function freshDb(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, [m0001Initial]);
  return db;
}

t.test('0001 creates every table the booth keeps, all STRICT', async (t) => {
  const db = freshDb();
  t.teardown(() => db.close());
  for (const name of tables) {
    const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as { sql: string } | undefined;
    t.ok(row, `${name} exists`);
    t.match(row?.sql ?? '', /\)\s*STRICT$/, `${name} is STRICT`);
  }
  t.equal(db.pragma('user_version', { simple: true }), 1);
});

t.test('0001 enforces types and constraints instead of coercing', async (t) => {
  const db = freshDb();
  t.teardown(() => db.close());
  const now = new Date().toISOString();
  t.throws(() => db.prepare("INSERT INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, 'many', 'x', ?)").run('a'.repeat(64), now), /cannot store TEXT value in INTEGER column/);
  db.prepare('INSERT INTO cards (barcode, created_at) VALUES (?, ?)').run('SUB-1', now);
  t.throws(() => db.prepare('INSERT INTO cards (barcode, created_at) VALUES (?, ?)').run('SUB-1', now), /UNIQUE/);
  t.throws(() => db.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES ('j', 'grade', 'exploded', ?, ?)").run(now, now), /CHECK/);
  t.throws(() => db.prepare("INSERT INTO grades (id, card_id, overall, created_at) VALUES ('g', 1, 11, ?)").run(now), /CHECK/, 'grade above 10');
  t.throws(() => db.prepare("INSERT INTO grades (id, card_id, overall, created_at) VALUES ('g', 999, 9, ?)").run(now), /FOREIGN KEY/);
  db.prepare("INSERT INTO grades (id, card_id, overall, created_at) VALUES ('g1', 1, 9, ?)").run(now);
  t.throws(() => db.prepare("INSERT INTO grades (id, card_id, overall, override_of, override_reason, created_at) VALUES ('g2', 1, 8, 'g1', '', ?)").run(now), /CHECK/, 'an override needs a reason');
  t.throws(() => db.prepare("INSERT INTO calibrations (id, procedure, version, passed, figures_json, created_at, expires_at) VALUES ('c', 'dark', 1, 1, '{bad', ?, ?)").run(now, now), /CHECK/, 'figures must be JSON');
  t.throws(() => db.prepare("INSERT INTO blobs (sha256, size_bytes, media_type, created_at) VALUES ('abc', 1, 'x', ?)").run(now), /CHECK/, 'sha256 must be 64 hex chars');
  t.throws(() => db.prepare("INSERT INTO api_tokens (id, name, role, token_sha256, created_at) VALUES ('t', 'n', 'admin', ?, ?)").run('a'.repeat(64), now), /CHECK/, 'unknown role');
});

t.test('0001 indexes serve the history queries', async (t) => {
  const db = freshDb();
  t.teardown(() => db.close());
  const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  t.match(plan('SELECT * FROM grades WHERE card_id = 1 ORDER BY created_at'), /USING INDEX grades_by_card/);
  t.match(plan("SELECT * FROM jobs WHERE state = 'queued' ORDER BY created_at"), /USING INDEX jobs_by_state/);
  t.match(plan("SELECT * FROM frames WHERE scan_id = 's' ORDER BY light_index"), /USING INDEX frames_by_scan/);
  t.match(plan('SELECT * FROM outbox ORDER BY priority DESC, id LIMIT 10'), /outbox_by_priority/);
});
