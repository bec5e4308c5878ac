import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { migrations } from '../../../src/storage/migrations/index.ts';

t.test('0004 adds api_tokens.expires_at; tokens made before it never expire', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, migrations.filter((m) => m.version < 4));
  db.prepare("INSERT INTO api_tokens (id, name, role, token_sha256, created_at) VALUES ('aaaaaaaaaaaa', 'old', 'operator', ?, '2026-01-01T00:00:00.000Z')").run('0'.repeat(64));
  migrate(db, migrations.filter((m) => m.version <= 4));
  t.equal(db.pragma('user_version', { simple: true }), 4);
  t.same(db.prepare('SELECT expires_at FROM api_tokens').get(), { expires_at: null });
});
