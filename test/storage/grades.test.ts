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
