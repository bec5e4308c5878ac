import t from 'tap';
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, runCli, startServe } from './run-cli.ts';
import { damageAuditLogPage, makeDatabaseWithRows } from '../helpers/damaged-db.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let noSim: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  noSim = `simulated rig unavailable: ${(err as Error).message}`;
}

const dbOf = (dataDir: string): string => join(dataDir, 'gradebooth.sqlite');

t.test('db status and db check on a sound database: exit 0, integrity ok', async (t) => {
  const dataDir = t.testdir({});
  makeDatabaseWithRows(dbOf(dataDir), 100);
  const status = await runCli(['db', 'status', '--data-dir', dataDir]);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout), { integrity: 'ok', journalMode: 'wal', pending: [] });
  const check = await runCli(['db', 'check', '--json', '--data-dir', dataDir]);
  t.equal(check.code, 0, check.stderr);
  t.same(JSON.parse(check.stdout.trim().split('\n').pop()!), { path: dbOf(dataDir), integrity: 'ok', foreignKeys: 'ok', ok: true });
});

t.test('a damaged page: db status and db check exit 1 with GB_DB_CORRUPT and what to do; no stack', async (t) => {
  const dataDir = t.testdir({});
  makeDatabaseWithRows(dbOf(dataDir));
  damageAuditLogPage(dbOf(dataDir), 'leaf');
  const status = await runCli(['db', 'status', '--data-dir', dataDir]);
  t.equal(status.code, 1);
  t.ok(Array.isArray(JSON.parse(status.stdout).integrity), 'the report lists the problems');
  t.match(status.stderr, /GB_DB_CORRUPT: database .* is damaged .*gradebooth db restore --from/);
  const check = await runCli(['db', 'check', '--data-dir', dataDir]);
  t.equal(check.code, 1);
  t.match(check.stdout, /integrity \d+ problem\(s\)/);
  t.match(check.stderr, /GB_DB_CORRUPT/);
  for (const r of [status, check]) t.notMatch(r.stderr, /SqliteError|\n\s+at /, 'no raw SqliteError, no stack');
});

t.test('db status reads only: a rollback-journal database is not switched to WAL, not one byte changes', async (t) => {
  const dataDir = t.testdir({});
  makeDatabaseWithRows(dbOf(dataDir), 20);
  const raw = new Database(dbOf(dataDir));
  raw.pragma('journal_mode = DELETE');
  raw.close();
  const before = readFileSync(dbOf(dataDir));
  for (const args of [['db', 'status'], ['db', 'check'], ['token', 'list'], ['calibrate', 'show']]) {
    const r = await runCli([...args, '--data-dir', dataDir]);
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  t.equal(JSON.parse((await runCli(['db', 'status', '--data-dir', dataDir])).stdout).journalMode, 'delete');
  t.same(readFileSync(dbOf(dataDir)), before, 'the file is byte for byte the same');
  t.notOk(existsSync(`${dbOf(dataDir)}-wal`), 'no WAL file appeared');
});

t.test('a missing database, a directory in its place: GB_DB_UNREADABLE with the path', async (t) => {
  const dataDir = t.testdir({ 'gradebooth.sqlite': {} });
  for (const args of [['db', 'status'], ['db', 'migrate'], ['token', 'create', '--role', 'operator']]) {
    const r = await runCli([...args, '--data-dir', dataDir]);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, /GB_DB_UNREADABLE: .*gradebooth\.sqlite/);
    t.notMatch(r.stderr, /SqliteError|\n\s+at /);
  }
  const empty = t.testdir({});
  const r = await runCli(['db', 'status', '--data-dir', empty]);
  t.match(r.stderr, /GB_DB_UNREADABLE: there is no database at/);
});

t.test('serve refuses a damaged database at start with GB_DB_CORRUPT, exits 1, writes nothing', { skip: noSim }, async (t) => {
  const dataDir = t.testdir({});
  makeDatabaseWithRows(dbOf(dataDir));
  damageAuditLogPage(dbOf(dataDir), 'leaf');
  const before = readFileSync(dbOf(dataDir));
  const r = await runCli(['serve', '--data-dir', dataDir, '--port', '0']);
  t.equal(r.code, 1);
  t.match(r.stderr + r.stdout, /GB_DB_CORRUPT/);
  t.match(r.stderr, /db check.*db restore/);
  t.notMatch(r.stderr, /SqliteError|\n\s+at /, 'no raw SqliteError, no stack');
  t.same(readFileSync(dbOf(dataDir)), before, 'the damaged file was not written into');
  t.notOk(existsSync(join(dataDir, 'daemon.lock')), 'the lock is released');
});

t.test('backup while the daemon serves; restore refused while it holds the data directory, done once it stopped', { skip: noSim }, async (t) => {
  const dataDir = t.testdir({});
  const backupPath = join(t.testdirName, 'backup.sqlite');
  const first = await runCli(['token', 'create', '--role', 'operator', '--name', 'in-backup', '--data-dir', dataDir]);
  t.equal(first.code, 0, first.stderr);
  const { child } = await startServe(['--data-dir', dataDir, '--port', '0']);
  t.teardown(() => child.kill('SIGKILL'));
  const backup = await runCli(['db', 'backup', '--out', backupPath, '--data-dir', dataDir]);
  t.equal(backup.code, 0, backup.stderr);
  t.match(backup.stdout, /backed up to .*backup\.sqlite: \d+ bytes, schema version \d+, integrity ok/);
  const again = await runCli(['db', 'backup', '--out', backupPath, '--data-dir', dataDir]);
  t.equal(again.code, 1);
  t.match(again.stderr, /GB_CONFLICT: .* already exists/);
  const later = await runCli(['token', 'create', '--role', 'operator', '--name', 'after-backup', '--data-dir', dataDir]);
  t.equal(later.code, 0, later.stderr);

  const refused = await runCli(['db', 'restore', '--from', backupPath, '--data-dir', dataDir]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, new RegExp(`GB_DATA_DIR_LOCKED: .*pid ${child.pid} \\(serve`));
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);

  const restored = await runCli(['db', 'restore', '--from', backupPath, '--data-dir', dataDir]);
  t.equal(restored.code, 0, restored.stderr);
  t.match(restored.stdout, /restored .* integrity ok; the previous database is kept as .*before-restore-/);
  const db = openDatabase(dbOf(dataDir));
  t.teardown(() => db.close());
  t.same(new TokenRepository(db).list().map((r) => r.name), ['in-backup']);
  t.notOk(existsSync(join(dataDir, 'daemon.lock')), 'restore released its lock');
});
