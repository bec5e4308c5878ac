import t from 'tap';
import { buildTestApi } from './helpers.ts';
import { SessionRepository } from '../../src/storage/operators.ts';

const cookieOf = (setCookie: string | string[] | undefined): string => String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];

t.test('operators sign in with name + PIN; the session cookie is httpOnly and SameSite=Strict; roles hold', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const tech = { authorization: `Bearer ${api.technician}` };
  const made = await api.app.inject({ method: 'POST', url: '/api/operators', headers: tech, payload: { name: 'Ana', pin: '2468', role: 'operator' } });
  t.equal(made.statusCode, 201, made.body);
  const opToken = await api.app.inject({ method: 'POST', url: '/api/operators', headers: { authorization: `Bearer ${api.operator}` }, payload: { name: 'Eve', pin: '1111', role: 'technician' } });
  t.equal(opToken.json().code, 'GB_FORBIDDEN', 'an operator cannot create operators');
  const dup = await api.app.inject({ method: 'POST', url: '/api/operators', headers: tech, payload: { name: 'ana', pin: '1357', role: 'operator' } });
  t.equal(dup.json().code, 'GB_CONFLICT', 'names are unique regardless of case');

  const stored = api.db.prepare('SELECT pin_hash FROM operators').get() as { pin_hash: string };
  t.match(stored.pin_hash, /^scrypt\$32768\$8\$1\$/, 'the PIN is kept as an scrypt hash');
  t.notMatch(stored.pin_hash, /2468/);

  const wrong = await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Ana', pin: '0000' } });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'GB_AUTH_INVALID');
  const signin = await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Ana', pin: '2468' } });
  t.equal(signin.statusCode, 200, signin.body);
  t.match(signin.headers['set-cookie'], /^gb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  const cookie = cookieOf(signin.headers['set-cookie']);
  t.match((await api.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).json(), { name: 'Ana', role: 'operator', idleTimeoutS: 300 });
  t.equal((await api.app.inject({ method: 'GET', url: '/api/operators', headers: { cookie } })).json().code, 'GB_FORBIDDEN', 'an operator session cannot reach technician routes');

  const out = await api.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } });
  t.equal(out.statusCode, 204);
  t.equal((await api.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).json().code, 'GB_AUTH_INVALID', 'signed out');

  const actions = (api.db.prepare('SELECT action FROM audit_log ORDER BY id').all() as Array<{ action: string }>).map((r) => r.action);
  t.same(actions, ['operator.create', 'session.sign_in_failed', 'session.sign_in', 'session.sign_out', 'auth.failed'], 'every sign-in, failure and sign-out is audited, and so is the ended session used again');
});

t.test('five wrong PINs lock the name; sessions lapse after inactivity', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  await api.app.inject({ method: 'POST', url: '/api/operators', headers: { authorization: `Bearer ${api.technician}` }, payload: { name: 'Bo', pin: '9753', role: 'technician' } });
  for (let i = 0; i < 5; i++) await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Bo', pin: '1234' } });
  const locked = await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Bo', pin: '9753' } });
  t.equal(locked.statusCode, 401);
  t.match(locked.json().message, /too many wrong PINs: "Bo" is locked until/);

  const sessions = new SessionRepository(api.db, { idleMs: 60_000, maxMs: 3_600_000 });
  const id = (api.db.prepare('SELECT id FROM operators').get() as { id: string }).id;
  const t0 = new Date('2026-01-01T10:00:00Z');
  const { secret } = sessions.start(id, t0);
  t.ok(sessions.use(secret, new Date(t0.getTime() + 50_000)), 'used within the idle time');
  t.ok(sessions.use(secret, new Date(t0.getTime() + 100_000)), 'idle time counts from the last use');
  t.equal(sessions.use(secret, new Date(t0.getTime() + 161_000)), undefined, 'locked after a minute without use');
  t.equal(sessions.use(secret, new Date(t0.getTime() + 162_000)), undefined, 'and stays ended');
});
