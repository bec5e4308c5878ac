import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';
import { runCli } from '../cli/run-cli.ts';
import { buildTestApi } from '../api/helpers.ts';

t.test('a token with an expiry works until then and not after', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'gb.sqlite'));
  t.teardown(() => db.close());
  const tokens = new TokenRepository(db);
  const at = new Date('2026-03-01T10:00:00Z');
  const { token, record } = tokens.create('operator', 'temp', at, 3600);
  t.equal(record.expiresAt, '2026-03-01T11:00:00.000Z');
  t.ok(tokens.verify(token, new Date('2026-03-01T10:59:59Z')));
  t.equal(tokens.verify(token, new Date('2026-03-01T11:00:00Z')), undefined);
  t.notOk(tokens.isLive(record.id, new Date('2026-03-01T11:00:01Z')));
  t.equal(tokens.create('operator', 'forever').record.expiresAt, null);
  t.throws(() => tokens.create('operator', 'x', at, 0), { code: 'GB_VALIDATION' });
});

t.test('token create --expires-in; a bad duration is a usage error', async (t) => {
  const dataDir = t.testdir({});
  const ok = await runCli(['token', 'create', '--role', 'operator', '--expires-in', '12h', '--data-dir', dataDir]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /expires \d{4}-\d\d-\d\dT/);
  const list = await runCli(['token', 'list', '--json', '--data-dir', dataDir]);
  const [row] = JSON.parse(list.stdout) as Array<{ expiresAt: string }>;
  const hoursLeft = (Date.parse(row.expiresAt) - Date.now()) / 3_600_000;
  t.ok(hoursLeft > 11 && hoursLeft <= 12, `expires in ${hoursLeft.toFixed(2)} h`);
  for (const bad of ['forever', '0d', '-1h', '12', '99999999d']) {
    const r = await runCli(['token', 'create', '--role', 'operator', `--expires-in=${bad}`, '--data-dir', dataDir]);
    t.equal(r.code, 2, `--expires-in ${bad} refused`);
    t.match(r.stderr, /GB_USAGE: --expires-in/);
  }
});

t.test('an expired token is refused by the API; POST /api/tokens takes expiresInS', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const created = await api.app.inject({ method: 'POST', url: '/api/tokens', headers: { authorization: `Bearer ${api.technician}` }, payload: { role: 'operator', name: 'day pass', expiresInS: 86400 } });
  t.equal(created.statusCode, 201);
  t.match(created.json().record, { expiresAt: String });
  const expired = new TokenRepository(api.db).create('operator', 'gone', new Date(Date.now() - 7200_000), 3600);
  const r = await api.app.inject({ method: 'GET', url: '/api/status', headers: { authorization: `Bearer ${expired.token}` } });
  t.equal(r.statusCode, 401);
  t.equal(r.json().code, 'GB_AUTH_INVALID');
});
