import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { migrations } from '../../../src/storage/migrations/index.ts';

t.test('0009 adds model_releases (one active model per name) and model_comparisons beside the data before it', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, migrations.filter((m) => m.version < 9));
  db.prepare("INSERT INTO outbox (message_id, kind, topic, payload, size_bytes, qos, priority, created_at) VALUES ('m1', 'result', 'results', x'7b7d', 2, 1, 100, '2026-01-01T00:00:00.000Z')").run();
  migrate(db, migrations.filter((m) => m.version <= 9));
  t.equal(db.pragma('user_version', { simple: true }), 9);
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 1, 'queued messages kept');
  const ins = db.prepare("INSERT INTO model_releases (sha256, name, version, state, offered_at, updated_at) VALUES (?, 'surface-defects', ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')");
  ins.run('a'.repeat(64), '1', 'active');
  t.throws(() => ins.run('b'.repeat(64), '2', 'active'), /UNIQUE/, 'a second active model of the same name is refused');
  ins.run('b'.repeat(64), '2', 'shadow');
  t.throws(() => ins.run('c'.repeat(64), '3', 'half-loaded'), /CHECK/, 'states are a closed list');
  db.prepare("INSERT INTO model_comparisons (model_sha256, phase, reference_sha256, agreed, created_at) VALUES (?, 'shadow', ?, 1, '2026-01-01T00:00:01.000Z')").run('b'.repeat(64), 'a'.repeat(64));
  t.throws(() => db.prepare("INSERT INTO model_comparisons (model_sha256, phase, created_at) VALUES (?, 'shadow', 'x')").run('d'.repeat(64)), /FOREIGN KEY/, 'comparisons name a known model');
  t.match(db.prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM model_comparisons WHERE model_sha256 = ? AND phase = 'shadow'").all('b'.repeat(64)), [{ detail: /model_comparisons_by_model/ }], 'figures use the index');
});
