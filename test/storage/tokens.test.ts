import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import { checkTokenName, TokenRepository } from '../../src/storage/tokens.ts';

t.test('tokens: only a hash is stored; verify, list, revoke', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'gb.sqlite'));
  t.teardown(() => db.close());
  const repo = new TokenRepository(db);
  const { token, record } = repo.create('operator', 'kiosk');
  t.match(token, /^gb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  // The id is a fixed 12 hex digits, so the secret is everything after `gb_<id>_`; splitting on "_"
  // would cut a base64url secret that itself contains "_" (and an empty fragment matches anything).
  const secret = token.slice(`gb_${record.id}_`.length);
  t.equal(secret.length, 43);
  const stored = JSON.stringify(db.prepare('SELECT * FROM api_tokens').all());
  t.notOk(stored.includes(secret), 'the secret is not in the database');
  t.notOk(stored.includes(token), 'nor the whole token');
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

t.test('token names: 1..64 printable characters, well-formed Unicode; anything else is GB_VALIDATION and nothing is stored', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'gb.sqlite'));
  t.teardown(() => db.close());
  const repo = new TokenRepository(db);
  for (const name of ['kiosk 2', 'Zoë’s tablet', '台北 booth', '👩‍🔧 tech', 'x'.repeat(64)]) {
    t.equal(repo.create('operator', name).record.name, name, `accepted: ${name}`);
  }
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['x'.repeat(65), /65 characters, at most 64/],
    ['evil\nrevoked 2026', /U\+000A/],
    ['\u001b[2J\u001b[31mroot', /U\+001B/],
    ['tab\there', /U\+0009/],
    ['del\u007f', /U\+007F/],
    ['c1\u009b31m', /U\+009B/],
    ['abc\u202egpj.exe', /U\+202E/],
    ['lone \ud800 surrogate', /lone surrogate/],
    ['lone low \udc00', /lone surrogate/],
    [' padded', /starts or ends with a space/],
  ];
  const before = repo.list().length;
  for (const [name, why] of bad) t.throws(() => repo.create('operator', name), { code: 'GB_VALIDATION', message: why }, JSON.stringify(name));
  t.equal(repo.list().length, before, 'no refused name was stored');
  t.throws(() => checkTokenName('ok\u2028'), { code: 'GB_VALIDATION' });
});
