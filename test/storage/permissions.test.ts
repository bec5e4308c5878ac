import t from 'tap';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/storage/database.ts';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

t.test('a new data directory is 0700 and its database 0600, WAL included (issue 12)', async (t) => {
  const dataDir = join(t.testdir({}), 'data');
  const db = openDatabase(join(dataDir, 'gradebooth.sqlite'));
  db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01', 'test', 'x')").run();
  t.equal(mode(dataDir), '700');
  t.equal(mode(join(dataDir, 'gradebooth.sqlite')), '600');
  t.equal(mode(join(dataDir, 'gradebooth.sqlite-wal')), '600');
  db.close();
});

t.test('an existing world-readable data directory and database are tightened', async (t) => {
  const dataDir = join(t.testdir({}), 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  writeFileSync(join(dataDir, 'gradebooth.sqlite'), '');
  chmodSync(join(dataDir, 'gradebooth.sqlite'), 0o644);
  openDatabase(join(dataDir, 'gradebooth.sqlite')).close();
  t.equal(mode(dataDir), '700');
  t.equal(mode(join(dataDir, 'gradebooth.sqlite')), '600');
});
