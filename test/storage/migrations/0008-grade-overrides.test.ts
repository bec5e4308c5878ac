import t from 'tap';
import Database from 'better-sqlite3';
import { migrate } from '../../../src/storage/database.ts';
import { migrations } from '../../../src/storage/migrations/index.ts';

t.test('0008 grade_overrides: beside a grade row, half points, a listed reason, a note for "other"', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, migrations.filter((m) => m.version <= 8));
  t.equal(db.pragma('user_version', { simple: true }), 8);
  db.pragma('foreign_keys = ON');
  db.prepare("INSERT INTO cards (id, barcode, created_at) VALUES (1, 'SUB-1', '2026-01-01T00:00:00Z')").run();
  db.prepare("INSERT INTO grades (id, card_id, overall, corners, created_at) VALUES ('g1', 1, 8, 8, '2026-01-01T00:00:00Z')").run();
  const ins = db.prepare("INSERT INTO grade_overrides (id, grade_id, card_id, subgrade, machine_value, value, reason, note, created_by, created_by_name, created_at) VALUES (?, ?, 1, 'corners', 8, ?, ?, ?, 'operator:x', 'Ana', '2026-01-01T00:00:00Z')");
  ins.run('o1', 'g1', 7.5, 'missed-defect', '');
  t.throws(() => ins.run('o2', 'g1', 7.25, 'missed-defect', ''), /CHECK/, 'half points only');
  t.throws(() => ins.run('o3', 'g1', 7, 'other', ''), /CHECK/, '"other" needs a note');
  t.throws(() => ins.run('o4', 'g1', 7, 'because', ''), /CHECK/, 'reasons from the list');
  t.throws(() => ins.run('o5', 'nope', 7, 'missed-defect', ''), /FOREIGN KEY/, 'a grade row that exists');
  t.same(db.prepare('SELECT overall, corners FROM grades').get(), { overall: 8, corners: 8 }, 'the grade row is untouched');
});
