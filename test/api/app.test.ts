import t from 'tap';
import { buildTestApi } from './helpers.ts';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

t.test('health needs no token; everything else does', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const health = await api.app.inject({ method: 'GET', url: '/api/health' });
  t.equal(health.statusCode, 200);
  t.match(health.json(), { status: 'ok', version: /^\d+\.\d+\.\d+/ });

  const none = await api.app.inject({ method: 'GET', url: '/api/tokens' });
  t.equal(none.statusCode, 401);
  t.match(none.json(), { code: 'GB_AUTH_MISSING', statusCode: 401, requestId: String });

  const bad = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer('gb_000000000000_nope') });
  t.equal(bad.statusCode, 401);
  t.equal(bad.json().code, 'GB_AUTH_INVALID');

  const malformed = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: { authorization: 'Basic abc' } });
  t.equal(malformed.json().code, 'GB_AUTH_MISSING');
});

t.test('roles: a technician may do all an operator may, not the reverse', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const asOperator = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer(api.operator) });
  t.equal(asOperator.statusCode, 403);
  t.equal(asOperator.json().code, 'GB_FORBIDDEN');
  const asTech = await api.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer(api.technician) });
  t.equal(asTech.statusCode, 200);
  t.equal(asTech.json().length, 2);
  const openapi = await api.app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(api.technician) });
  t.equal(openapi.statusCode, 200, 'technician reaches operator routes');
});

t.test('token lifecycle over the API is audited, and a revoked token stops working', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const created = await api.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(api.technician), payload: { role: 'operator', name: 'kiosk-2' } });
  t.equal(created.statusCode, 201);
  const { token, record } = created.json() as { token: string; record: { id: string } };
  t.equal((await api.app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(token) })).statusCode, 200);
  t.equal((await api.app.inject({ method: 'DELETE', url: `/api/tokens/${record.id}`, headers: bearer(api.technician) })).statusCode, 204);
  t.equal((await api.app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(token) })).json().code, 'GB_AUTH_INVALID');
  const again = await api.app.inject({ method: 'DELETE', url: `/api/tokens/${record.id}`, headers: bearer(api.technician) });
  t.equal(again.statusCode, 404);
  t.equal(again.json().code, 'GB_NOT_FOUND');
  const actions = (api.db.prepare('SELECT action FROM audit_log ORDER BY id').all() as Array<{ action: string }>).map((r) => r.action);
  t.same(actions, ['token.create', 'token.revoke', 'auth.failed'], 'the revoked token\'s later use is audited as a failure');
});

t.test('bad input gets a 4xx with a stable code and never a half-written row', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const count = (): number => (api.db.prepare('SELECT count(*) AS n FROM api_tokens').get() as { n: number }).n;
  const before = count();
  const post = (payload: string, contentType = 'application/json') =>
    api.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...bearer(api.technician), 'content-type': contentType }, payload });

  const malformed = await post('{"role": "operator", ');
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.json().code, 'GB_BAD_REQUEST');

  const wrongType = await post(JSON.stringify({ role: 'operator', name: 42 }));
  t.equal(wrongType.statusCode, 400);
  t.equal(wrongType.json().code, 'GB_VALIDATION');
  t.match(wrongType.json().message, /name/);

  const unknownField = await post(JSON.stringify({ role: 'operator', name: 'x', admin: true }));
  t.equal(unknownField.json().code, 'GB_VALIDATION');

  const wrongRole = await post(JSON.stringify({ role: 'fleet', name: 'x' }));
  t.equal(wrongRole.json().code, 'GB_VALIDATION');

  const oversized = await post(JSON.stringify({ role: 'operator', name: 'x'.repeat(10_000) }));
  t.equal(oversized.statusCode, 413);
  t.equal(oversized.json().code, 'GB_PAYLOAD_TOO_LARGE');

  const media = await post('role=operator', 'application/x-www-form-urlencoded');
  t.equal(media.statusCode, 415);
  t.equal(media.json().code, 'GB_UNSUPPORTED_MEDIA');

  const badParam = await api.app.inject({ method: 'DELETE', url: '/api/tokens/not-hex', headers: bearer(api.technician) });
  t.equal(badParam.json().code, 'GB_VALIDATION');

  const route = await api.app.inject({ method: 'GET', url: '/api/no/such/route?x=1' });
  t.equal(route.statusCode, 404);
  t.match(route.json(), { code: 'GB_ROUTE_NOT_FOUND', message: 'no route GET /api/no/such/route' });

  t.equal(count(), before, 'no token row was written by any refused request');
  const health = await api.app.inject({ method: 'GET', url: '/api/health' });
  t.equal(health.statusCode, 200, 'still serving after all of it');
});

t.test('OpenAPI documents every route, and every route has a response schema', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const doc = (await api.app.inject({ method: 'GET', url: '/api/openapi.json', headers: bearer(api.operator) })).json() as {
    openapi: string;
    paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  };
  t.equal(doc.openapi, '3.1.0');
  t.notOk(doc.paths['/api/events'], '@fastify/websocket hides websocket routes from OpenAPI');
  t.match((doc as unknown as { info: { description: string } }).info.description, /\/api\/events/, 'so the description names the event socket');
  for (const path of ['/api/health', '/api/status', '/api/tokens', '/api/tokens/{id}']) t.ok(doc.paths[path], `${path} documented`);
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      t.ok(op.responses && Object.keys(op.responses).some((c) => c.startsWith('2')), `${method.toUpperCase()} ${path} has a success response schema`);
    }
  }
});

t.test('websocket events: token required, events delivered as JSON', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  await t.rejects(api.app.injectWS('/api/events'), /401|Unexpected server response/);
  const messages: Array<{ type: string; data: Record<string, unknown> }> = [];
  let resolveHello: () => void = () => undefined;
  let resolveBoth: () => void = () => undefined;
  const hello = new Promise<void>((r) => (resolveHello = r));
  const got = new Promise<void>((r) => (resolveBoth = r));
  const ws = await api.app.injectWS('/api/events', { headers: bearer(api.operator) }, {
    onInit: (socket) =>
      socket.on('message', (m: Buffer) => {
        messages.push(JSON.parse(m.toString()));
        if (messages.length === 1) resolveHello();
        if (messages.length === 2) resolveBoth();
      }),
  });
  await hello;
  api.bus.emit('job.progress', { jobId: 'j1', stage: 'capture', fraction: 0.5 });
  await got;
  t.equal(messages[0].type, 'hello');
  t.match(messages[1], { type: 'job.progress', data: { jobId: 'j1', fraction: 0.5 } });
  ws.send('clients may send anything; it is ignored');
  ws.terminate();
  const byQuery = await api.app.injectWS(`/api/events?access_token=${encodeURIComponent(api.operator)}`);
  t.ok(byQuery, 'browsers authenticate with ?access_token=');
  byQuery.terminate();
});
