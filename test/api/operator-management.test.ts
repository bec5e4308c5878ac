// Technicians manage who signs in at the touchscreen: disable and enable an operator, set a new PIN
// (an scrypt hash like every PIN; it clears a wrong-PIN lock and ends the operator's sessions); operators
// may do none of it; every change is audited.
import t from 'tap';
import { buildTestApi } from './helpers.ts';

const cookieOf = (setCookie: string | string[] | undefined): string => String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];

t.test('disable, enable and reset the PIN of an operator', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const tech = { authorization: `Bearer ${api.technician}` };
  const ana = (await api.app.inject({ method: 'POST', url: '/api/operators', headers: tech, payload: { name: 'Ana', pin: '2468', role: 'operator' } })).json();
  t.equal(ana.disabledAt, null, 'a new operator is enabled');
  const signIn = (pin: string) => api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Ana', pin } });
  const cookie = cookieOf((await signIn('2468')).headers['set-cookie']);
  t.equal((await api.app.inject({ url: '/api/session', headers: { cookie } })).statusCode, 200);

  for (const [method, url, payload] of [['POST', `/api/operators/${ana.id}/disable`], ['POST', `/api/operators/${ana.id}/enable`], ['POST', `/api/operators/${ana.id}/pin`, { pin: '1111' }]] as const) {
    const res = await api.app.inject({ method, url, headers: { authorization: `Bearer ${api.operator}` }, ...(payload ? { payload } : {}) });
    t.equal(res.statusCode, 403, `${url}: operators may not`);
  }

  const disabled = await api.app.inject({ method: 'POST', url: `/api/operators/${ana.id}/disable`, headers: tech });
  t.equal(disabled.statusCode, 200, disabled.body);
  t.type(disabled.json().disabledAt, 'string');
  t.equal((await api.app.inject({ url: '/api/session', headers: { cookie } })).json().code, 'GB_AUTH_INVALID', 'her session ended');
  const refused = await signIn('2468');
  t.match(refused.json(), { code: 'GB_AUTH_INVALID', message: /"Ana" is disabled: a technician can enable them again/ }, 'the right PIN is told why');
  t.match((await signIn('0000')).json(), { code: 'GB_AUTH_INVALID', message: 'name or PIN is wrong' }, 'a wrong PIN learns nothing');
  t.match((await api.app.inject({ url: '/api/operators', headers: tech })).json(), [{ name: 'Ana', disabledAt: String }], 'listed as disabled');

  t.equal((await api.app.inject({ method: 'POST', url: `/api/operators/${ana.id}/enable`, headers: tech })).json().disabledAt, null);
  const back = await signIn('2468');
  t.equal(back.statusCode, 200, 'enabled again, she signs in');
  const cookie2 = cookieOf(back.headers['set-cookie']);

  // A locked name (five wrong PINs) is what a PIN reset is for.
  for (let i = 0; i < 5; i++) await signIn('0000');
  t.match((await signIn('2468')).json(), { message: /locked until/ });
  t.equal((await api.app.inject({ method: 'POST', url: `/api/operators/${ana.id}/pin`, headers: tech, payload: { pin: '12' } })).json().code, 'GB_VALIDATION', 'a PIN is 4 to 8 digits');
  const reset = await api.app.inject({ method: 'POST', url: `/api/operators/${ana.id}/pin`, headers: tech, payload: { pin: '97531' } });
  t.equal(reset.statusCode, 204, reset.body);
  t.equal((await api.app.inject({ url: '/api/session', headers: { cookie: cookie2 } })).json().code, 'GB_AUTH_INVALID', 'a PIN reset ends her sessions');
  t.equal((await signIn('2468')).statusCode, 401, 'the old PIN no longer works');
  t.equal((await signIn('97531')).statusCode, 200, 'the new PIN works and the lock is gone');
  const stored = api.db.prepare('SELECT pin_hash FROM operators WHERE id = ?').get(ana.id) as { pin_hash: string };
  t.match(stored.pin_hash, /^scrypt\$32768\$8\$1\$/, 'kept as an scrypt hash');

  t.equal((await api.app.inject({ method: 'POST', url: '/api/operators/000000000000/disable', headers: tech })).json().code, 'GB_NOT_FOUND');

  // A technician at the touchscreen cannot disable themselves.
  const tom = (await api.app.inject({ method: 'POST', url: '/api/operators', headers: tech, payload: { name: 'Tom', pin: '1357', role: 'technician' } })).json();
  const tomCookie = cookieOf((await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'Tom', pin: '1357' } })).headers['set-cookie']);
  t.equal((await api.app.inject({ method: 'POST', url: `/api/operators/${tom.id}/disable`, headers: { cookie: tomCookie } })).json().code, 'GB_CONFLICT');

  const actions = (api.db.prepare("SELECT action, target FROM audit_log WHERE action LIKE 'operator.%' ORDER BY id").all() as Array<{ action: string; target: string }>).map((r) => r.action);
  t.same(actions, ['operator.create', 'operator.disable', 'operator.enable', 'operator.pin_reset', 'operator.create'], 'audited');
});
