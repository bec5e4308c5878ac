import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';
import { FileStore, sha256Hex } from '../../src/storage/file-store.ts';
import { GradeRepository } from '../../src/storage/grades.ts';

async function setup(t: Test): Promise<{ repo: GradeRepository; store: FileStore; db: ReturnType<typeof openDatabase>; cardId: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'gb-grades-'));
  const db = openDatabase(join(dir, 'booth.sqlite'));
  const store = new FileStore(join(dir, 'store'));
  await store.init();
  t.teardown(async () => { db.close(); await rm(dir, { recursive: true, force: true }); });
  db.prepare("INSERT INTO cards (barcode, created_at) VALUES ('SUB-1', '2026-01-01T00:00:00Z')").run();
  const cardId = db.prepare("SELECT id FROM cards WHERE barcode = 'SUB-1'").pluck().get() as number;
  return { repo: new GradeRepository(db, store), store, db, cardId };
}

t.test('a grade, its defects and its report files are stored together and read back', async (t) => {
  const { repo, store, cardId } = await setup(t);
  const crop = Buffer.from('crop-png-bytes');
  const saved = await repo.save({
    cardId, overall: 7, centering: 7, corners: 6.5, edges: 8, surface: 9, score1000: 735,
    report: { name: 'report.json', mediaType: 'application/json', bytes: Buffer.from('{"grade":7}') },
    files: [{ name: 'report.html', mediaType: 'text/html', bytes: Buffer.from('<!doctype html>') }],
    defects: [
      { side: 'front', category: 'corner', kind: 'corner-wear', xMm: -30.5, yMm: 43.2, lengthMm: 4.1, widthMm: 4.1, severity: 0.3, image: crop },
      { side: 'front', category: 'edge', kind: 'edge-chip', xMm: 12.8, yMm: 44.4, lengthMm: 1.4, depthUm: 0, severity: 0.3 },
    ],
  });
  const g = repo.get(saved.id);
  t.ok(g, 'read back');
  t.equal(g?.overall, 7);
  t.equal(g?.score1000, 735);
  t.equal(g?.defects.length, 2);
  t.equal(g?.defects[0].kind, 'corner-wear');
  t.equal(g?.defects[0].imageSha256, saved.defectImages[0], 'crop referenced');
  t.same(await store.get(g?.reportSha256 ?? ''), Buffer.from('{"grade":7}'), 'report JSON in the store');
  t.same(await store.get(saved.files['report.html'].sha256), Buffer.from('<!doctype html>'), 'page in the store');
  t.same(repo.listForCard(cardId).map((x) => x.id), [saved.id]);
});

t.test('a bad grade is refused and leaves neither rows nor files', async (t) => {
  const { repo, store, db, cardId } = await setup(t);
  const report = { name: 'report.json', mediaType: 'application/json', bytes: Buffer.from('{"x":1}') };
  await t.rejects(repo.save({ cardId, overall: 11, score1000: 500, report, defects: [] }), { code: 'GB_VALIDATION' });
  // A row that fails inside the transaction (unknown card): its files are removed again.
  await t.rejects(repo.save({ cardId: 999, overall: 5, score1000: 500, report, defects: [] }));
  t.equal(db.prepare('SELECT count(*) FROM grades').pluck().get(), 0, 'no grade rows');
  t.equal(await store.has(sha256Hex(report.bytes)), false, 'no orphan file');
});

t.test('the fleet results announcing a grade commit in its transaction, or neither does', async (t) => {
  const { enqueueResult } = await import('../../src/sync/results.ts');
  const { resultMessages } = await import('../../src/scan/result-messages.ts');
  const { outboxFigures } = await import('../../src/storage/outbox.ts');
  const { repo, db, cardId } = await setup(t);
  const report = { name: 'report.json', mediaType: 'application/json', bytes: Buffer.from('{"grade":8}') };
  const defects = [{ side: 'front' as const, category: 'corner' as const, kind: 'corner-wear', xMm: -30.5, yMm: 43.2, lengthMm: 1.1, widthMm: 1.1, depthUm: 12, severity: 0.2 }];
  const card = {
    sides: [{ side: 'front' as const, subgrades: { centering: { grade: 9, smooth: 9.2 }, corners: { grade: 8, smooth: 8.1 }, edges: { grade: 8.5, smooth: 8.6 }, surface: { grade: 9.5, smooth: 9.5 } }, notGraded: {}, centering: { measurable: true }, corners: [], edges: [], defects: [], deductions: [] }],
    subgrades: { centering: { grade: 9, smooth: 9.2 }, corners: { grade: 8, smooth: 8.1 }, edges: { grade: 8.5, smooth: 8.6 }, surface: { grade: 9.5, smooth: 9.5 } },
    notGraded: {},
    grade: 8.5,
    score1000: 862,
    model: { name: 'surface-defects', version: '3', sha256: 'a'.repeat(64) },
  };
  const gradedAt = new Date('2026-12-06T21:00:00.000Z');
  let ids: string[] = [];
  const saved = await repo.save({ cardId, overall: 8.5, score1000: 862, report, defects }, undefined, (gradeId) => {
    ids = resultMessages(card, { barcode: 'SUB-1', jobId: 'job-1', scans: [{ side: 'front', scanId: 'scan-1' }], gradeId, defects, reason: null, gradedAt }).map((r) => enqueueResult(db, r).messageId);
  });
  t.same(ids, [`result:side:${saved.id}:front`, `result:card:${saved.id}`], 'one side result and one card result, ids from the grade');
  const rows = db.prepare('SELECT payload FROM outbox ORDER BY id').all() as Array<{ payload: Buffer }>;
  const [side, whole] = rows.map((r) => JSON.parse(r.payload.toString()) as Record<string, any>);
  t.match(side, { kind: 'side', barcode: 'SUB-1', scanId: 'scan-1', side: 'front', gradeId: saved.id, grades: { overall: null, centering: 9, corners: 8, edges: 8.5, surface: 9.5 }, score1000: null, reason: null });
  t.match(whole, { kind: 'card', gradeId: saved.id, grades: { overall: 8.5, corners: 8 }, score1000: 862, model: { name: 'surface-defects', version: '3' }, reason: null, gradedAt: '2026-12-06T21:00:00.000Z' });
  t.same(whole.defects, [{ side: 'front', category: 'corner', kind: 'corner-wear', xMm: -30.5, yMm: 43.2, lengthMm: 1.1, widthMm: 1.1, depthUm: 12, severity: 0.2 }]);

  // An announcement that fails (here: a result the schema refuses) rolls the grade back with it.
  await t.rejects(
    repo.save({ cardId, overall: 7, score1000: 700, report: { ...report, bytes: Buffer.from('{"grade":7}') }, defects: [] }, undefined, (gradeId) => {
      enqueueResult(db, { ...resultMessages(card, { barcode: 'SUB-1', jobId: 'job-2', scans: [], gradeId, defects: [], reason: null, gradedAt })[1], barcode: '' });
    }),
    { code: 'GB_VALIDATION' },
  );
  t.equal(db.prepare('SELECT count(*) FROM grades').pluck().get(), 1, 'the second grade did not commit');
  t.equal(outboxFigures(db).rows, 2, 'nor did its announcement');
});
