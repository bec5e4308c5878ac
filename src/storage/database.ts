import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { securePrivateFile, secureDataDir } from './data-dir.ts';
import { migrations, type Migration } from './migrations/index.ts';
import { createError } from '../core/errors.ts';

export type Db = Database.Database;

/**
 * Open (creating if needed) the booth database: WAL so readers never block the writer, synchronous FULL
 * because grades and calibrations must survive power loss, foreign keys on, a busy timeout so a CLI
 * command and the daemon can share the file. Then apply pending migrations.
 */
export function openDatabase(path: string, options: { migrate?: boolean; list?: readonly Migration[] } = {}): Db {
  // SQLite gives the -wal and -shm files the main file's mode, so 0600 here covers them too.
  secureDataDir(dirname(path));
  securePrivateFile(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.migrate !== false) migrate(db, options.list ?? migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
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
