import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openDatabase, schemaVersion } from '../../src/storage/database.ts';
import { migrations, type Migration } from '../../src/storage/migrations/index.ts';

t.test('a new database is in WAL mode, synchronous FULL, with every migration applied', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  const db = openDatabase(path);
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1);
  t.equal(schemaVersion(db), migrations[migrations.length - 1].version);
});

t.test('migration versions are consecutive from 1', async (t) => {
  migrations.forEach((m, i) => t.equal(m.version, i + 1, `${m.name} is version ${i + 1}`));
});

t.test('reopening applies nothing twice', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  openDatabase(path).close();
  const db = openDatabase(path);
  t.teardown(() => db.close());
  t.same(migrate(db), { from: migrations.length, to: migrations.length });
});

t.test('a failing migration rolls back whole and leaves the version where it was', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  const broken: Migration = {
    version: migrations.length + 1,
    name: 'broken',
    up(db) {
      db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
      db.exec('INSERT INTO no_such_table VALUES (1)');
    },
  };
  t.throws(() => openDatabase(path, { list: [...migrations, broken] }), { code: 'GB_DB_MIGRATION', message: /broken/ });
  const db = new Database(path);
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), migrations.length, 'earlier migrations kept');
  const { n } = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get() as { n: number };
  t.equal(n, 0, 'no half-applied table');
});

t.test('a database from a newer gradebooth is refused', async (t) => {
  const path = join(t.testdir({}), 'gb.sqlite');
  const raw = new Database(path);
  raw.pragma('user_version = 999');
  raw.close();
  t.throws(() => openDatabase(path), { code: 'GB_DB_NEWER' });
});
