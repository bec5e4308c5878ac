import t from 'tap';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import { buildTestApi } from './helpers.ts';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Resolve with the close code once the websocket closes. */
const closed = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));

t.test('revoking a token over the API closes its open websockets at once (issue 12, defect 5)', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const created = (await api.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(api.technician), payload: { role: 'operator', name: 'kiosk' } })).json() as { token: string; record: { id: string } };
  const ws = await api.app.injectWS('/api/events', { headers: bearer(created.token) });
  const other = await api.app.injectWS('/api/events', { headers: bearer(api.operator) });
  const wsClosed = closed(ws);
  t.equal((await api.app.inject({ method: 'DELETE', url: `/api/tokens/${created.record.id}`, headers: bearer(api.technician) })).statusCode, 204);
  t.equal(await wsClosed, 1008, 'closed with 1008 (policy violation)');
  t.equal(other.readyState, other.OPEN, 'other tokens keep their sockets');
  other.terminate();
});

t.test('a token revoked behind the daemon\'s back (CLI) loses its websockets on the next re-check', async (t) => {
  const api = await buildTestApi(t.testdir({}), undefined, { authRecheckMs: 200 });
  t.teardown(() => api.close());
  const ws = await api.app.injectWS('/api/events', { headers: bearer(api.operator) });
  const id = api.operator.split('_')[1];
  const wsClosed = closed(ws);
  // The CLI writes to the database directly; the API does not hear of it.
  api.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), id);
  // The re-check timer is unref'd (a daemon's listening server keeps the process alive); an injected
  // websocket holds no handle, so without this the test process could exit before the re-check ran.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    t.equal(await wsClosed, 1008);
  } finally {
    clearInterval(keepAlive);
  }
});

t.test('token guessing is limited per client and audited (issue 12, defect 10)', async (t) => {
  const api = await buildTestApi(t.testdir({}), undefined, { authFailureLimit: { maxFailures: 5, windowMs: 60_000 } });
  t.teardown(() => api.close());
  const codes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await api.app.inject({ method: 'GET', url: '/api/status', headers: bearer(`gb_00000000000${i}_guess${i}`), remoteAddress: '10.0.0.9' });
    codes.push(`${r.statusCode} ${r.json().code}`);
    if (r.statusCode === 429) t.ok(Number(r.headers['retry-after']) > 0, 'Retry-After says when to try again');
  }
  t.same(codes, [...Array(5).fill('401 GB_AUTH_INVALID'), ...Array(3).fill('429 GB_TOO_MANY_REQUESTS')]);
  const blockedValid = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer(api.technician), remoteAddress: '10.0.0.9' });
  t.equal(blockedValid.statusCode, 429, 'a blocked client gets no answer about any token');
  const otherClient = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer(api.technician), remoteAddress: '10.0.0.10' });
  t.equal(otherClient.statusCode, 200, 'other clients are not affected');
  const audit = api.db.prepare("SELECT action, detail_json FROM audit_log WHERE action LIKE 'auth.%' ORDER BY id").all() as Array<{ action: string; detail_json: string }>;
  t.same(audit.map((a) => a.action), [...Array(5).fill('auth.failed'), 'auth.blocked']);
  t.match(JSON.parse(audit[0].detail_json), { client: '10.0.0.9', code: 'GB_AUTH_INVALID', tokenId: '000000000000' });
  t.notMatch(audit.map((a) => a.detail_json).join(''), /guess/, 'the guessed secret is never stored');
});

t.test('a wrong method on a known path answers 405 with Allow; unknown paths stay 404', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const del = await api.app.inject({ method: 'DELETE', url: '/api/health' });
  t.equal(del.statusCode, 405);
  t.equal(del.json().code, 'GB_METHOD_NOT_ALLOWED');
  t.equal(del.headers.allow, 'GET, HEAD');
  const put = await api.app.inject({ method: 'PUT', url: '/api/tokens/0123456789ab' });
  t.equal(put.statusCode, 405);
  t.equal(put.headers.allow, 'DELETE');
  const post = await api.app.inject({ method: 'PATCH', url: '/api/tokens?x=1' });
  t.equal(post.headers.allow, 'GET, HEAD, POST');
  const unknown = await api.app.inject({ method: 'GET', url: '/api/nothing-here' });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'GB_ROUTE_NOT_FOUND');
});

t.test('X-Request-Id is used only when short and safe', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const idOf = async (id: string): Promise<string> => (await api.app.inject({ method: 'GET', url: '/api/status', headers: { 'x-request-id': id } })).json().requestId;
  t.equal(await idOf('client-42.a_b:7'), 'client-42.a_b:7');
  const long = await idOf('a'.repeat(8192));
  t.not(long, 'a'.repeat(8192));
  t.ok(long.length <= 64);
  t.notMatch(await idOf('<script>alert(1)</script>'), /script/);
});

t.test('?access_token= is accepted only on the websocket route', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const r = await api.app.inject({ method: 'GET', url: `/api/tokens?access_token=${api.technician}`, headers: { upgrade: 'websocket', connection: 'upgrade' } });
  t.equal(r.statusCode, 401);
  t.equal(r.json().code, 'GB_AUTH_MISSING');
});

t.test('a body that is not valid UTF-8 is refused, and nothing is stored', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const count = (): number => (api.db.prepare('SELECT count(*) AS n FROM api_tokens').get() as { n: number }).n;
  const before = count();
  const payload = Buffer.concat([Buffer.from('{"role":"operator","name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const r = await api.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...bearer(api.technician), 'content-type': 'application/json' }, payload });
  t.equal(r.statusCode, 400);
  t.equal(r.json().code, 'GB_BAD_REQUEST');
  t.match(r.json().message, /UTF-8/);
  t.equal(count(), before);
});

/** Send raw bytes on a fresh connection and resolve with everything the server answered before closing. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

t.test('a request whose body or headers never complete is answered 408 GB_REQUEST_TIMEOUT and closed', async (t) => {
  const api = await buildTestApi(t.testdir({}), undefined, { requestTimeoutMs: 600, headersTimeoutMs: 400 });
  t.teardown(() => api.close());
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (api.app.server.address() as AddressInfo).port;
  const slowBody = await rawExchange(port, `POST /api/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.technician}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"role":`);
  t.match(slowBody, /^HTTP\/1\.1 408 /);
  t.match(slowBody, /"code":"GB_REQUEST_TIMEOUT"/);
  const slowHeaders = await rawExchange(port, 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  t.match(slowHeaders, /^HTTP\/1\.1 408 /);
  t.match(slowHeaders, /"code":"GB_REQUEST_TIMEOUT"/);
});

t.test('POST /api/tokens refuses unprintable names (ESC, newline, bidi override, lone surrogate) with 400 GB_VALIDATION (defect 9)', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const count = (): number => (api.db.prepare('SELECT count(*) AS n FROM api_tokens').get() as { n: number }).n;
  const before = count();
  // The lone surrogate goes in as a JSON escape, as a client would send it.
  for (const body of ['{"role":"operator","name":"a\\u001b[2Jb"}', '{"role":"operator","name":"a\\nb"}', '{"role":"operator","name":"a\\u202eb"}', '{"role":"operator","name":"a\\ud800b"}']) {
    const r = await api.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...bearer(api.technician), 'content-type': 'application/json' }, payload: body });
    t.equal(r.statusCode, 400, body);
    t.equal(r.json().code, 'GB_VALIDATION', body);
  }
  t.equal(count(), before, 'nothing stored');
});
