// An operator's override of a subgrade with a reason, over the real API and a real SQLite file: stored
// beside the machine's grade (which it names and never changes), listed under the card, audited; every
// bad input refused with a code. No surface model ships yet, so no scan ends with a grade row: the
// machine grade here is written through the storage layer the grade stage uses (GradeRepository.save).
import t from 'tap';
import { buildTestApi } from './helpers.ts';

t.test('override a subgrade beside the machine grade', async (t) => {
  const api = await buildTestApi(t.testdir({}));
  t.teardown(() => api.close());
  const op = { authorization: `Bearer ${api.operator}` };
  const cardId = api.repos.cards.ensure('SUB-0200');
  const report = { name: 'report.json', mediaType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify({ grade: 8, subgrades: { centering: 9, corners: 8, edges: 8.5, surface: 7 } })) };
  const machine = await api.repos.grades.save({ cardId, overall: 8, centering: 9, corners: 8, edges: 8.5, surface: 7, score1000: 812, report, defects: [] });

  const post = (payload: unknown, headers: Record<string, string> = op, id = machine.id) => api.app.inject({ method: 'POST', url: `/api/grades/${id}/overrides`, headers, payload: payload as object });
  const made = await post({ subgrade: 'corners', value: 6.5, reason: 'missed-defect', note: 'whitening at the back top left corner' });
  t.equal(made.statusCode, 201, made.body);
  t.match(made.json(), { gradeId: machine.id, cardId, subgrade: 'corners', machineValue: 8, value: 6.5, reason: 'missed-defect', note: 'whitening at the back top left corner', createdBy: /^token:/, createdByName: 'op' });
  t.match(api.repos.grades.get(machine.id), { overall: 8, corners: 8 }, "the machine's grade is unchanged");

  const card = (await api.app.inject({ url: `/api/cards/${cardId}`, headers: op })).json();
  t.equal(card.grades[0].grade, 8, 'the card still shows the machine grade');
  t.match(card.grades[0].subgrades, { corners: 8 });
  t.match(card.grades[0].overrides, [{ subgrade: 'corners', machineValue: 8, value: 6.5, reason: 'missed-defect' }], 'and the override beside it');
  const second = await post({ subgrade: 'corners', value: 7, reason: 'other', note: 'second look under the loupe' });
  t.equal(second.statusCode, 201);
  t.same((await api.app.inject({ url: `/api/grades/${machine.id}/overrides`, headers: op })).json().map((o: { value: number }) => o.value), [6.5, 7], 'a later override keeps the earlier one (both are labels)');

  const refusals: Array<[string, unknown, string, number]> = [
    ['quarter points', { subgrade: 'edges', value: 7.25, reason: 'missed-defect' }, 'GB_VALIDATION', 400],
    ['above 10', { subgrade: 'edges', value: 10.5, reason: 'missed-defect' }, 'GB_VALIDATION', 400],
    ["the machine's own value", { subgrade: 'edges', value: 8.5, reason: 'missed-defect' }, 'GB_VALIDATION', 400],
    ['other without a note', { subgrade: 'edges', value: 7, reason: 'other' }, 'GB_VALIDATION', 400],
    ['an unknown reason', { subgrade: 'edges', value: 7, reason: 'felt like it' }, 'GB_VALIDATION', 400],
    ['an unknown subgrade', { subgrade: 'overall', value: 7, reason: 'missed-defect' }, 'GB_VALIDATION', 400],
    ['a string value', { subgrade: 'edges', value: '7', reason: 'missed-defect' }, 'GB_VALIDATION', 400],
  ];
  for (const [what, payload, code, status] of refusals) {
    const res = await post(payload);
    t.equal(res.statusCode, status, `${what}: ${res.body}`);
    t.equal(res.json().code, code);
  }
  t.match((await post({ subgrade: 'edges', value: 8.5, reason: 'missed-defect' })).json().message, /machine graded edges 8\.5 already/);
  t.equal((await post({ subgrade: 'edges', value: 7, reason: 'missed-defect' }, op, 'grade-00000000-0000-4000-8000-000000000000')).json().code, 'GB_NOT_FOUND');
  t.equal((await post({ subgrade: 'edges', value: 7, reason: 'missed-defect' }, {})).statusCode, 401, 'nobody unauthenticated');
  t.equal((api.db.prepare('SELECT count(*) AS n FROM grade_overrides').get() as { n: number }).n, 2, 'nothing stored for a refused override');

  const audit = api.db.prepare("SELECT actor, target, detail_json FROM audit_log WHERE action = 'grade.override' ORDER BY id").all() as Array<{ actor: string; target: string; detail_json: string }>;
  t.equal(audit.length, 2, 'each override is audited');
  t.match(JSON.parse(audit[0].detail_json), { gradeId: machine.id, subgrade: 'corners', machineValue: 8, value: 6.5, reason: 'missed-defect' });
});
