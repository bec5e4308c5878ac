import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';

t.test('tokens: only a hash is stored; verify, list, revoke', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'gb.sqlite'));
  t.teardown(() => db.close());
  const repo = new TokenRepository(db);
  const { token, record } = repo.create('operator', 'kiosk');
  t.match(token, /^gb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  const stored = db.prepare('SELECT * FROM api_tokens').all();
  t.notMatch(JSON.stringify(stored), token.split('_')[2], 'the secret is not in the database');
  t.equal(repo.verify(token)?.id, record.id);
  t.equal(repo.verify(`${token}x`), undefined);
  t.equal(repo.verify(''), undefined);
  repo.touch(record.id);
  t.ok(repo.list()[0].lastUsedAt);
  t.equal(repo.revoke(record.id), true);
  t.equal(repo.revoke(record.id), false, 'revoking twice reports nothing to revoke');
  t.equal(repo.verify(token), undefined, 'revoked tokens no longer verify');
  t.throws(() => repo.create('admin' as never, 'x'), { code: 'GB_USAGE' });
});
