import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { securePrivateFile, secureDataDir } from './data-dir.ts';
import { migrations, type Migration } from './migrations/index.ts';
import { createError, GradeboothError, isGradeboothError } from '../core/errors.ts';

export type Db = Database.Database;

/** What to do about a damaged file: said with every GB_DB_CORRUPT. */
const corruptAdvice = 'stop the daemon, run `gradebooth db check` for the full report, then `gradebooth db restore --from BACKUP` (a file made by `gradebooth db backup --out BACKUP`)';

/**
 * A SQLite failure on opening or checking `path` as a coded error that names the file and what to do,
 * instead of a raw SqliteError: damage → GB_DB_CORRUPT, cannot open/read/write → GB_DB_UNREADABLE,
 * no space → GB_DISK_FULL. Other errors pass through unchanged.
 */
export function databaseError(err: unknown, path: string): unknown {
  if (isGradeboothError(err)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const message = (err as Error).message;
  if (isDamageError(err)) {
    return new GradeboothError('GB_DB_CORRUPT', `database ${path} is damaged (${message}): ${corruptAdvice}`, { cause: err, details: { path } });
  }
  if (code === 'SQLITE_FULL') {
    return new GradeboothError('GB_DISK_FULL', `the disk holding ${path} is full (${message}): free space in ${dirname(path)}`, { cause: err, details: { path } });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_PERM') || code === 'SQLITE_AUTH'
    || ['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS'].includes(code)) {
    return new GradeboothError('GB_DB_UNREADABLE', `cannot open or write the database ${path} (${code}: ${message}): check that it is a file this user may read and write, on a writable disk`, { cause: err, details: { path } });
  }
  return err;
}

/** Run `PRAGMA quick_check` (or the full `integrity_check`): the list of problems, empty when the file is sound. */
export function integrityProblems(db: Db, full = false): string[] {
  let rows: Array<Record<string, string>>;
  try {
    rows = db.pragma(full ? 'integrity_check' : 'quick_check') as Array<Record<string, string>>;
  } catch (err) {
    // Damage bad enough (a b-tree root page) makes the check itself fail: that is its finding.
    if (isDamageError(err)) return [(err as Error).message];
    throw err;
  }
  const lines = rows.map((r) => String(Object.values(r)[0]));
  return lines.length === 1 && lines[0] === 'ok' ? [] : lines;
}

/** Whether a SQLite error means the file is damaged or is not a database at all. */
export function isDamageError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | undefined)?.code ?? '');
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** GB_DB_CORRUPT for `path` listing the first problems a check found, with what to do. */
export function damagedError(path: string, check: string, problems: readonly string[]): GradeboothError {
  const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; … ${problems.length} problems` : '');
  return new GradeboothError('GB_DB_CORRUPT', `database ${path} is damaged (${check}: ${shown}): ${corruptAdvice}`, { details: { path, problems: problems.slice(0, 20) } });
}

/**
 * Open (creating if needed) the booth database: WAL so readers never block the writer, synchronous FULL
 * because grades and calibrations must survive power loss, foreign keys on, a busy timeout so a CLI
 * command and the daemon can share the file. Then a quick check (a damaged file is refused with
 * GB_DB_CORRUPT rather than written into) and pending migrations.
 */
export function openDatabase(path: string, options: { migrate?: boolean; list?: readonly Migration[]; quickCheck?: boolean } = {}): Db {
  // Processes that create one file together (collectors of one fleet index start at once) can meet SQLITE_BUSY
  // that the busy timeout does not cover (the switch to WAL, the first WAL recovery): try again a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return openDatabaseOnce(path, options);
    } catch (err) {
      const busy = String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');
      if (!busy || attempt >= 8) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25 * attempt);
    }
  }
}

function openDatabaseOnce(path: string, options: { migrate?: boolean; list?: readonly Migration[]; quickCheck?: boolean }): Db {
  let db: Db | undefined;
  try {
    // SQLite gives the -wal and -shm files the main file's mode, so 0600 here covers them too.
    secureDataDir(dirname(path));
    securePrivateFile(path);
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    if (options.quickCheck !== false) refuseIfDamaged(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (options.migrate !== false) migrate(db, options.list ?? migrations);
    return db;
  } catch (err) {
    db?.close();
    throw databaseError(err, path);
  }
}

/**
 * Open an existing database read-only, for commands that only look (`db status`, `token list`,
 * `calibrate show`): the file is never changed, not even its journal mode. A missing file is
 * GB_DB_UNREADABLE; no quick check here, callers that report integrity run it themselves.
 */
export function openDatabaseReadOnly(path: string): Db {
  if (!existsSync(path)) {
    throw new GradeboothError('GB_DB_UNREADABLE', `there is no database at ${path} yet (\`gradebooth serve\` or \`gradebooth db migrate\` creates it); check --data-dir`, { details: { path } });
  }
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    // Reading the schema proves the header is a database's (a garbage file opens but fails here).
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db?.close();
    throw databaseError(err, path);
  }
}

/**
 * For commands that only read their tables (`token list`, `calibrate show`): read-only when the database
 * exists at the current schema version; otherwise opened (created, migrated) as usual, because the
 * tables they read may not exist yet.
 */
export function openDatabaseForReading(path: string, list: readonly Migration[] = migrations): Db {
  if (existsSync(path)) {
    const db = openDatabaseReadOnly(path);
    const latest = list.length === 0 ? 0 : list[list.length - 1].version;
    if (schemaVersion(db) === latest) return db;
    db.close();
  }
  return openDatabase(path, { list });
}

function refuseIfDamaged(db: Db, path: string): void {
  const problems = integrityProblems(db);
  if (problems.length > 0) throw damagedError(path, 'quick_check', problems);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Apply every migration above the database's user_version, each in its own transaction together with the
 * user_version bump, so a crash leaves the database at a whole version. Refuses a database from a newer
 * gradebooth rather than guessing.
 */
export function migrate(db: Db, list: readonly Migration[] = migrations): { from: number; to: number } {
  const from = schemaVersion(db);
  const latest = list.length === 0 ? 0 : list[list.length - 1].version;
  if (from > latest) {
    throw createError('GB_DB_NEWER', `database schema version ${from} is newer than this gradebooth knows (${latest}); upgrade gradebooth or restore a backup`);
  }
  for (const m of list) {
    if (m.version <= from) continue;
    const apply = db.transaction(() => {
      // Another process sharing the file (collectors of one fleet index start together) may have applied
      // this step between our version check and this write lock: read the version again under the lock.
      if (schemaVersion(db) >= m.version) return;
      m.up(db);
      if (m.rebuildsTables) {
        const dangling = db.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
        if (dangling.length > 0) throw new Error(`${dangling.length} rows of ${dangling[0].table} reference a missing ${dangling[0].parent} row`);
      }
      db.pragma(`user_version = ${m.version}`);
    });
    // The pragma is a no-op inside a transaction, so it is switched around it.
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (m.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      apply.immediate();
    } catch (err) {
      throw createError('GB_DB_MIGRATION', `migration ${String(m.version).padStart(4, '0')}-${m.name} failed: ${(err as Error).message}`);
    } finally {
      if (m.rebuildsTables) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
  return { from, to: Math.max(from, latest) };
}
