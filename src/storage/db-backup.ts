import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { damagedError, databaseError, integrityProblems, openDatabaseReadOnly, schemaVersion } from './database.ts';
import { migrations } from './migrations/index.ts';
import { GradeboothError, isGradeboothError } from '../core/errors.ts';

// Backups use SQLite's online backup API, so they are consistent while the daemon writes (WAL content
// included), and every copy is verified with a full integrity check before it gets its final name. A
// half-written copy never carries the name of a good one: it is written aside and renamed.

/** What a verified database file holds. */
export interface VerifiedDatabase {
  path: string;
  schemaVersion: number;
  bytes: number;
}

const latestVersion = (): number => migrations[migrations.length - 1].version;

/** A name beside `path` for a file being written, removed on failure. */
const asideName = (path: string, what: string): string => join(dirname(path), `.${basename(path)}.${what}-${process.pid}-${randomBytes(4).toString('hex')}`);

/**
 * Check that `path` is a sound gradebooth database this version can use: a full integrity check
 * (GB_DB_CORRUPT), a gradebooth schema (GB_VALIDATION when it is some other SQLite file) not newer than
 * this gradebooth (GB_DB_NEWER). Opened read-only: the file is not changed.
 */
export function verifyDatabaseFile(path: string): VerifiedDatabase {
  const db = openDatabaseReadOnly(path);
  try {
    let problems: string[];
    let version: number;
    try {
      problems = integrityProblems(db, true);
      version = schemaVersion(db);
    } catch (err) {
      throw databaseError(err, path);
    }
    if (problems.length > 0) throw damagedError(path, 'integrity_check', problems);
    const hasTokens = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'api_tokens'").get() as { n: number };
    if (version < 1 || hasTokens.n !== 1) {
      throw new GradeboothError('GB_VALIDATION', `${path} is a SQLite file but not a gradebooth database (schema version ${version}, no api_tokens table)`, { details: { path } });
    }
    if (version > latestVersion()) {
      throw new GradeboothError('GB_DB_NEWER', `${path} has schema version ${version}, newer than this gradebooth knows (${latestVersion()}); upgrade gradebooth first`, { details: { path } });
    }
    return { path, schemaVersion: version, bytes: statSync(path).size };
  } finally {
    db.close();
  }
}

/** Copy `sourcePath` to `destPath` with the online backup API, as one self-contained file (rollback journal, no -wal). */
async function copyDatabase(sourcePath: string, destPath: string): Promise<void> {
  const source = openDatabaseReadOnly(sourcePath);
  try {
    await source.backup(destPath);
  } catch (err) {
    throw databaseError(err, isGradeboothError(err) ? sourcePath : destPath);
  } finally {
    source.close();
  }
  // The copy inherits the source's WAL flag; a backup should be one file that opens anywhere.
  const copy = new Database(destPath);
  try {
    copy.pragma('journal_mode = DELETE');
  } catch (err) {
    throw databaseError(err, destPath);
  } finally {
    copy.close();
  }
  // It holds token hashes and the audit log, like the database itself.
  chmodSync(destPath, 0o600);
  syncFile(destPath);
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeAside(path: string): void {
  for (const p of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true });
}

/**
 * Back up the database at `dbPath` to `outPath` (which must not exist): online backup into a file beside
 * the target, full integrity check of the copy, then rename. Safe while the daemon runs.
 */
export async function backupDatabase(dbPath: string, outPath: string): Promise<VerifiedDatabase> {
  if (existsSync(outPath)) {
    throw new GradeboothError('GB_CONFLICT', `${outPath} already exists; choose a new file name (a backup never overwrites a file)`, { details: { path: outPath } });
  }
  const aside = asideName(outPath, 'backup');
  try {
    await copyDatabase(dbPath, aside);
    const verified = verifyDatabaseFile(aside);
    // link, not rename: it fails if outPath appeared meanwhile instead of replacing it.
    linkSync(aside, outPath);
    return { ...verified, path: outPath };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GradeboothError('GB_CONFLICT', `${outPath} appeared while the backup ran; nothing was overwritten`, { details: { path: outPath } });
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new GradeboothError('GB_DISK_FULL', `no space left for the backup in ${dirname(outPath)}; nothing was written`, { cause: err, details: { path: outPath } });
    }
    throw err;
  } finally {
    removeAside(aside);
  }
}

/** What a restore did. */
export interface RestoreResult extends VerifiedDatabase {
  /** Where the database that was replaced is kept; null when there was none. */
  previousKeptAs: string | null;
}

/**
 * Replace the database at `dbPath` with the backup `fromPath`. The caller holds the data-directory lock
 * (no daemon may have the file open). The backup is verified, copied beside the database and verified
 * again; the current database is folded into one file (its WAL checkpointed) and kept under a dated name;
 * then the copy is renamed over it, so the name always points at a whole database.
 */
export async function restoreDatabase(fromPath: string, dbPath: string, now = new Date()): Promise<RestoreResult> {
  verifyDatabaseFile(fromPath);
  const aside = asideName(dbPath, 'restore');
  try {
    await copyDatabase(fromPath, aside);
    const verified = verifyDatabaseFile(aside);
    let previousKeptAs: string | null = null;
    if (existsSync(dbPath)) {
      checkpointIfPossible(dbPath);
      previousKeptAs = `${dbPath}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      linkSync(dbPath, previousKeptAs);
      // A -wal left by a crash belongs to the old file: applied to the restored one it would damage it.
      for (const side of ['-wal', '-shm']) {
        if (existsSync(`${dbPath}${side}`)) renameSync(`${dbPath}${side}`, `${previousKeptAs}${side}`);
      }
    }
    renameSync(aside, dbPath);
    syncFile(dirname(dbPath));
    return { ...verified, path: dbPath, previousKeptAs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new GradeboothError('GB_DISK_FULL', `no space left in ${dirname(dbPath)} for the restored database; the current one is unchanged`, { cause: err, details: { path: dbPath } });
    }
    throw err;
  } finally {
    removeAside(aside);
  }
}

/** Fold a -wal into the main file so the kept copy is whole; a damaged file is kept as it is. */
function checkpointIfPossible(dbPath: string): void {
  try {
    const db = new Database(dbPath, { fileMustExist: true });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
  } catch {
    // Damaged or unreadable: its -wal/-shm are moved along with it instead.
  }
}
