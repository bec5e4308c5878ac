import type { Command } from '../command.ts';
import { boolOption, printJson, requiredStringOption } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { damagedError, databaseError, integrityProblems, openDatabase, openDatabaseReadOnly, schemaVersion } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { acquireDataDirLock } from '../../storage/data-dir-lock.ts';
import { backupDatabase, restoreDatabase } from '../../storage/db-backup.ts';
import { migrations } from '../../storage/migrations/index.ts';
import { resolve } from 'node:path';
import { printTable } from '../terminal-text.ts';

export const dbStatusCommand: Command = {
  name: 'db status',
  summary: 'show the database file, journal mode, schema version and a quick integrity check (read-only; exit 1 on damage)',
  usage: '[--data-dir DIR]',
  help: `Options:\n${settingsOptionsHelp}\n\nPrints one JSON object. The file is opened read-only: nothing in it changes, not even its journal mode.\nExits 1 with GB_DB_CORRUPT when the quick check finds damage (run \`gradebooth db check\` for the full check).`,
  options: { ...settingsOptions },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const { dbPath } = dataDirLayout(settings.data_dir);
    const db = openDatabaseReadOnly(dbPath);
    let problems: string[];
    try {
      problems = integrityProblems(db);
      let version: number;
      let journalMode: unknown;
      try {
        version = schemaVersion(db);
        journalMode = db.pragma('journal_mode', { simple: true });
      } catch (err) {
        throw databaseError(err, dbPath);
      }
      const latest = migrations[migrations.length - 1].version;
      printJson(ctx, {
        path: dbPath,
        journalMode,
        schemaVersion: version,
        latestSchemaVersion: latest,
        pending: migrations.filter((m) => m.version > version).map((m) => `${String(m.version).padStart(4, '0')}-${m.name}`),
        integrity: problems.length === 0 ? 'ok' : problems,
      });
    } finally {
      db.close();
    }
    if (problems.length > 0) throw damagedError(dbPath, 'quick_check', problems);
    return 0;
  },
};

export const dbCheckCommand: Command = {
  name: 'db check',
  summary: 'full integrity and foreign-key check of the database (read-only; exit 1 on damage)',
  usage: '[--json] [--data-dir DIR]',
  help: `Options:
  --json            one JSON object {path, integrity, foreignKeys, ok}
${settingsOptionsHelp}

Runs PRAGMA integrity_check (every page and index, slower than the quick check at start) and
foreign_key_check. Safe while the daemon runs. Exits 1 with GB_DB_CORRUPT when anything is wrong.`,
  options: { ...settingsOptions, json: { type: 'boolean' } },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const { dbPath } = dataDirLayout(settings.data_dir);
    const db = openDatabaseReadOnly(dbPath);
    let problems: string[];
    let dangling: string[];
    try {
      problems = integrityProblems(db, true);
      try {
        dangling = problems.length > 0 ? [] : (db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>).map((r) => `${r.table} row ${r.rowid} refers to a missing ${r.parent} row`);
      } catch (err) {
        throw databaseError(err, dbPath);
      }
    } finally {
      db.close();
    }
    const ok = problems.length === 0 && dangling.length === 0;
    if (boolOption(args, 'json')) {
      printJson(ctx, { path: dbPath, integrity: problems.length === 0 ? 'ok' : problems, foreignKeys: dangling.length === 0 ? 'ok' : dangling, ok });
    } else {
      ctx.stdout.write(`${dbPath}: integrity ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}, foreign keys ${dangling.length === 0 ? 'ok' : `${dangling.length} dangling`}\n`);
      printTable(ctx.stdout, [...problems, ...dangling].slice(0, 50).map((line) => ['', line]));
    }
    if (!ok) throw damagedError(dbPath, 'integrity_check', [...problems, ...dangling]);
    return 0;
  },
};

export const dbBackupCommand: Command = {
  name: 'db backup',
  summary: 'copy the database to a new file (SQLite online backup, safe while serving), verified',
  usage: '--out FILE [--data-dir DIR]',
  help: `Options:
  --out FILE        the backup file to create (never overwritten)
${settingsOptionsHelp}

The copy is written beside FILE, fully integrity-checked, then renamed to FILE. It is one self-contained
SQLite file (mode 0600: it holds token hashes). Card images in DATA_DIR/store are not included.`,
  options: { ...settingsOptions, out: { type: 'string' } },
  async run(args, ctx) {
    const out = resolve(requiredStringOption(args, 'out', 'FILE'));
    const { settings } = settingsFromArgs(args, ctx.env);
    const result = await backupDatabase(dataDirLayout(settings.data_dir).dbPath, out);
    ctx.stdout.write(`backed up to ${result.path}: ${result.bytes} bytes, schema version ${result.schemaVersion}, integrity ok\n`);
    return 0;
  },
};

export const dbRestoreCommand: Command = {
  name: 'db restore',
  summary: 'replace the database with a backup (verified first; refused while a daemon holds the data directory)',
  usage: '--from FILE [--data-dir DIR]',
  help: `Options:
  --from FILE       a file made by \`gradebooth db backup\`
${settingsOptionsHelp}

Stop the daemon first: a restore is refused with GB_DATA_DIR_LOCKED while a process holds the data
directory. The backup is integrity-checked, copied beside the database and checked again, then renamed
over it; the database it replaces is kept as gradebooth.sqlite.before-restore-DATE. Migrations of an
older backup run at the next start.`,
  options: { ...settingsOptions, from: { type: 'string' } },
  async run(args, ctx) {
    const from = resolve(requiredStringOption(args, 'from', 'FILE'));
    const { settings } = settingsFromArgs(args, ctx.env);
    // Held for the whole restore, so no daemon can start on the file while it is replaced.
    const lock = acquireDataDirLock(settings.data_dir, { command: 'db restore' });
    try {
      const result = await restoreDatabase(from, dataDirLayout(settings.data_dir).dbPath);
      ctx.stdout.write(`restored ${result.path} from ${from}: schema version ${result.schemaVersion}, integrity ok${result.previousKeptAs ? `; the previous database is kept as ${result.previousKeptAs}` : ''}\n`);
    } finally {
      lock.release();
    }
    return 0;
  },
};

export const dbMigrateCommand: Command = {
  name: 'db migrate',
  summary: 'apply pending database migrations (serve does this too)',
  usage: '[--data-dir DIR]',
  help: `Options:\n${settingsOptionsHelp}`,
  options: { ...settingsOptions },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const db = openDatabase(dataDirLayout(settings.data_dir).dbPath);
    try {
      ctx.stdout.write(`schema version ${schemaVersion(db)}\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};
