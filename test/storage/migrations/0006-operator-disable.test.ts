import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { migrations } from '../../../src/storage/migrations/index.ts';

t.test('0006 adds operators.disabled_at; operators made before it stay enabled', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, migrations.filter((m) => m.version < 6));
  db.prepare("INSERT INTO operators (id, name, role, pin_hash, created_at, created_by) VALUES ('aaaaaaaaaaaa', 'Ana', 'operator', 'scrypt$x', '2026-01-01T00:00:00.000Z', 'token:t')").run();
  migrate(db, migrations.filter((m) => m.version <= 6));
  t.equal(db.pragma('user_version', { simple: true }), 6);
  t.same(db.prepare('SELECT name, disabled_at FROM operators').get(), { name: 'Ana', disabled_at: null });
});
