import t from 'tap';
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integrityProblems, openDatabase, openDatabaseForReading, openDatabaseReadOnly } from '../../src/storage/database.ts';
import { backupDatabase, restoreDatabase, verifyDatabaseFile } from '../../src/storage/db-backup.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';
import { damageAuditLogPage, makeDatabaseWithRows } from '../helpers/damaged-db.ts';

t.test('a database with a damaged leaf page is refused at open with GB_DB_CORRUPT and what to do', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  makeDatabaseWithRows(path);
  damageAuditLogPage(path, 'leaf');
  t.throws(() => openDatabase(path), { code: 'GB_DB_CORRUPT', message: /is damaged \(quick_check: .*db check.*db restore --from/ });
  const ro = openDatabaseReadOnly(path);
  t.teardown(() => ro.close());
  t.not(integrityProblems(ro, true).length, 0, 'the full check lists the damage');
});

t.test('a damaged root page (the check itself fails) is GB_DB_CORRUPT too, never a raw SqliteError', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  makeDatabaseWithRows(path);
  damageAuditLogPage(path, 'root');
  t.throws(() => openDatabase(path), { code: 'GB_DB_CORRUPT', name: 'GradeboothError' });
  t.throws(() => verifyDatabaseFile(path), { code: 'GB_DB_CORRUPT' });
});

t.test('a file that is not a database at all is GB_DB_CORRUPT naming the path', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  writeFileSync(path, 'this is not SQLite '.repeat(300));
  t.throws(() => openDatabase(path), { code: 'GB_DB_CORRUPT', message: new RegExp(path.replaceAll('/', '\\/')) });
  t.throws(() => openDatabaseReadOnly(path), { code: 'GB_DB_CORRUPT' });
});

t.test('a directory in place of the file, or a missing file for a read-only command, is GB_DB_UNREADABLE', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'gb.sqlite');
  mkdirSync(path);
  t.throws(() => openDatabase(path), { code: 'GB_DB_UNREADABLE', message: /gb\.sqlite/ });
  t.throws(() => openDatabaseReadOnly(join(dir, 'none.sqlite')), { code: 'GB_DB_UNREADABLE', message: /no database at/ });
});

t.test('read-only opens never change the file: a rollback-journal database stays one', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  openDatabase(path).close();
  const raw = new Database(path);
  raw.pragma('journal_mode = DELETE');
  raw.close();
  const before = readFileSync(path);
  const ro = openDatabaseReadOnly(path);
  t.equal(ro.pragma('journal_mode', { simple: true }), 'delete');
  t.throws(() => new TokenRepository(ro).create('operator', 'x'), { code: 'SQLITE_READONLY' }, 'writes are impossible through it');
  ro.close();
  const reading = openDatabaseForReading(path);
  new TokenRepository(reading).list();
  reading.close();
  t.same(readFileSync(path), before, 'not one byte changed');
});

t.test('backup: a verified single-file copy; restore puts it back and keeps the replaced database', async (t) => {
  const dir = t.testdir({ data: {} });
  const path = join(dir, 'data', 'gradebooth.sqlite');
  const db = openDatabase(path);
  const tokens = new TokenRepository(db);
  const kept = tokens.create('operator', 'before backup');
  // The daemon keeps its connection open: the backup must include what sits in the WAL.
  const backup = await backupDatabase(path, join(dir, 'backup.sqlite'));
  t.equal(backup.path, join(dir, 'backup.sqlite'));
  t.ok(backup.bytes > 0);
  await t.rejects(backupDatabase(path, join(dir, 'backup.sqlite')), { code: 'GB_CONFLICT' }, 'never overwrites');
  tokens.create('operator', 'after backup');
  db.close();
  const copy = new Database(join(dir, 'backup.sqlite'), { readonly: true });
  t.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'the backup is one self-contained file');
  copy.close();

  const restored = await restoreDatabase(join(dir, 'backup.sqlite'), path);
  t.ok(restored.previousKeptAs);
  const after = openDatabase(path);
  t.teardown(() => after.close());
  t.same(new TokenRepository(after).list().map((r) => r.name), ['before backup']);
  t.equal(new TokenRepository(after).list()[0].id, kept.record.id);
  const previous = new Database(restored.previousKeptAs!, { readonly: true });
  t.teardown(() => previous.close());
  t.same(new TokenRepository(previous).list().map((r) => r.name), ['before backup', 'after backup'], 'the replaced database is kept whole');
});

t.test('restore refuses a damaged backup or a foreign SQLite file and leaves the database untouched', async (t) => {
  const dir = t.testdir({ data: {} });
  const path = join(dir, 'data', 'gradebooth.sqlite');
  makeDatabaseWithRows(path, 50);
  const before = readFileSync(path);
  const bad = join(dir, 'bad.sqlite');
  makeDatabaseWithRows(bad);
  damageAuditLogPage(bad, 'leaf');
  await t.rejects(restoreDatabase(bad, path), { code: 'GB_DB_CORRUPT' });
  const foreign = join(dir, 'foreign.sqlite');
  const f = new Database(foreign);
  f.exec('CREATE TABLE x (y INTEGER)');
  f.close();
  await t.rejects(restoreDatabase(foreign, path), { code: 'GB_VALIDATION', message: /not a gradebooth database/ });
  await t.rejects(restoreDatabase(join(dir, 'missing.sqlite'), path), { code: 'GB_DB_UNREADABLE' });
  t.same(readFileSync(path), before, 'the database was not touched');
});
