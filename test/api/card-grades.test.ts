// A card's grades through the operating API: GET /api/cards?barcode= and /api/cards/:id list them (newest
// first) with subgrades, defects and the report, whose file downloads through /api/files.
import t from 'tap';
import { createHash } from 'node:crypto';
import { privateDir } from '../calibration/temp-dir.ts';
import { buildTestApi } from './helpers.ts';

t.test('cards list their grades with defects and a downloadable report', async (t) => {
  const api = await buildTestApi(privateDir(t, 'card-grades'));
  t.teardown(() => api.close());
  const auth = { authorization: `Bearer ${api.operator}` };
  const graded = api.repos.cards.ensure('SUB-0100');
  const ungraded = api.repos.cards.ensure('SUB-0101');
  const reportBytes = Buffer.from('{"grade": 8.5}\n');
  const crop = Buffer.from('not really a png, only bytes for the store');
  const saved = await api.repos.grades.save({
    cardId: graded, overall: 8.5, centering: 9, corners: 8.5, edges: 9, surface: 8, score1000: 853,
    report: { name: 'report.json', mediaType: 'application/json', bytes: reportBytes },
    defects: [{ side: 'front', category: 'surface', kind: 'scratch', xMm: 3.5, yMm: -10.25, widthMm: 0.2, lengthMm: 7.5, depthUm: 12, severity: 0.4, image: crop }],
  });

  const list = await api.app.inject({ method: 'GET', url: '/api/cards?barcode=SUB-0100', headers: auth });
  t.equal(list.statusCode, 200, list.body);
  const card = list.json().items[0];
  t.equal(card.barcode, 'SUB-0100');
  t.equal(card.grades.length, 1);
  const g = card.grades[0];
  t.equal(g.id, saved.id);
  t.equal(g.grade, 8.5);
  t.equal(g.score1000, 853);
  t.same(g.subgrades, { centering: 9, corners: 8.5, edges: 9, surface: 8 });
  t.same(g.defects.map((d: any) => [d.side, d.type, d.centerMm, d.lengthMm, d.depthUm]), [['front', 'scratch', [3.5, -10.25], 7.5, 12]]);

  const one = await api.app.inject({ method: 'GET', url: `/api/cards/${graded}`, headers: auth });
  t.equal(one.statusCode, 200, one.body);
  t.same(one.json().grades, card.grades, '/api/cards/:id lists the same grades');

  const report = await api.app.inject({ method: 'GET', url: g.report.url, headers: auth });
  t.equal(report.statusCode, 200);
  t.equal(report.headers['content-type'], 'application/json');
  t.equal(createHash('sha256').update(report.rawPayload).digest('hex'), g.report.sha256, 'the report downloads intact');
  const image = await api.app.inject({ method: 'GET', url: g.defects[0].image.url, headers: auth });
  t.same(image.rawPayload, crop, 'the defect crop downloads');

  const none = await api.app.inject({ method: 'GET', url: `/api/cards/${ungraded}`, headers: auth });
  t.same(none.json().grades, [], 'a card without a grade lists none');
  const anonymous = await api.app.inject({ method: 'GET', url: `/api/cards/${graded}` });
  t.equal(anonymous.statusCode, 401, 'grades need a token');
});

t.test('a card id that is not a positive integer is refused, an unknown one is 404', async (t) => {
  const api = await buildTestApi(privateDir(t, 'card-ids'));
  t.teardown(() => api.close());
  const auth = { authorization: `Bearer ${api.operator}` };
  for (const id of ['0', '-1', '1.5', 'abc', '1e3', '99999999999999999999']) {
    const r = await api.app.inject({ method: 'GET', url: `/api/cards/${id}`, headers: auth });
    t.equal(r.statusCode, 400, `${id}: ${r.body}`);
    t.equal(r.json().code, 'GB_VALIDATION');
  }
  const missing = await api.app.inject({ method: 'GET', url: '/api/cards/12345', headers: auth });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'GB_NOT_FOUND');
});

t.test('paging parameters come as text in the query string and are read as numbers', async (t) => {
  const api = await buildTestApi(privateDir(t, 'card-pages'));
  t.teardown(() => api.close());
  const auth = { authorization: `Bearer ${api.operator}` };
  for (const b of ['SUB-1', 'SUB-2', 'SUB-3']) api.repos.cards.ensure(b);
  const page = await api.app.inject({ method: 'GET', url: '/api/cards?limit=2&offset=1', headers: auth });
  t.equal(page.statusCode, 200, page.body);
  t.equal(page.json().items.length, 2);
  t.same([page.json().total, page.json().limit, page.json().offset], [3, 2, 1]);
  const jobs = await api.app.inject({ method: 'GET', url: '/api/jobs?limit=10&offset=0', headers: auth });
  t.equal(jobs.statusCode, 200, jobs.body);
  for (const q of ['limit=abc', 'limit=0', 'limit=201', 'offset=-1', 'limit=1.5']) {
    const r = await api.app.inject({ method: 'GET', url: `/api/cards?${q}`, headers: auth });
    t.equal(r.statusCode, 400, `${q} is refused`);
  }
  // Bodies are not coerced: a number where the schema wants a string is refused, not turned into text.
  const body = await api.app.inject({ method: 'POST', url: '/api/scans', headers: auth, payload: { barcode: 12345 } });
  t.equal(body.statusCode, 400, body.body);
  t.equal(body.json().code, 'GB_VALIDATION');
});

t.test('history filters: part of a barcode, a date range, a grade range, graded or not', async (t) => {
  const api = await buildTestApi(privateDir(t, 'card-history'));
  t.teardown(() => api.close());
  const auth = { authorization: `Bearer ${api.operator}` };
  const day = (d: string): Date => new Date(`${d}T12:00:00.000Z`);
  const a = api.repos.cards.ensure('SUB-0100', day('2026-12-01'));
  const b = api.repos.cards.ensure('SUB-0200', day('2026-12-03'));
  api.repos.cards.ensure('XYZ_50%', day('2026-12-05'));
  const grade = (cardId: number, overall: number, d: string) =>
    api.repos.grades.save({ cardId, overall, score1000: overall * 100 - 50, report: { name: 'report.json', mediaType: 'application/json', bytes: Buffer.from(`{"g":${overall}}`) }, defects: [], now: day(d) });
  await grade(a, 9.5, '2026-12-02');
  await grade(b, 6, '2026-12-03');
  const barcodes = async (query: string): Promise<string[]> => {
    const r = await api.app.inject({ method: 'GET', url: `/api/cards?${query}`, headers: auth });
    t.equal(r.statusCode, 200, `${query}: ${r.body}`);
    return r.json().items.map((c: any) => c.barcode);
  };
  t.same(await barcodes(''), ['XYZ_50%', 'SUB-0200', 'SUB-0100'], 'most recent first');
  t.same(await barcodes('search=sub-0'), ['SUB-0200', 'SUB-0100'], 'part of a barcode, any case');
  t.same(await barcodes('search=_5'), ['XYZ_50%'], 'LIKE wildcards in the text match only themselves');
  t.same(await barcodes(`search=${encodeURIComponent('%')}`), ['XYZ_50%']);
  t.same(await barcodes('from=2026-12-02&to=2026-12-04'), ['SUB-0200', 'SUB-0100'], 'worked on within the dates (the grade on 12-02 counts)');
  t.same(await barcodes('from=2026-12-04'), ['XYZ_50%']);
  t.same(await barcodes('minGrade=9'), ['SUB-0100'], 'the latest grade at least 9');
  t.same(await barcodes('maxGrade=7'), ['SUB-0200']);
  t.same(await barcodes('graded=false'), ['XYZ_50%'], 'not graded yet');
  for (const bad of ['from=2026-02-31', 'from=yesterday', 'minGrade=11', 'graded=maybe', 'search=']) {
    const r = await api.app.inject({ method: 'GET', url: `/api/cards?${bad}`, headers: auth });
    t.equal(r.statusCode, 400, `${bad} is refused`);
    t.equal(r.json().code, 'GB_VALIDATION');
  }
});
