import type { Command } from '../command.ts';
import { printJson } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { openDatabase, schemaVersion } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { migrations } from '../../storage/migrations/index.ts';

export const dbStatusCommand: Command = {
  name: 'db status',
  summary: 'show the database file, journal mode and schema version (without migrating)',
  usage: '[--data-dir DIR]',
  help: `Options:\n${settingsOptionsHelp}\n\nPrints one JSON object.`,
  options: { ...settingsOptions },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const { dbPath } = dataDirLayout(settings.data_dir);
    const db = openDatabase(dbPath, { migrate: false });
    try {
      const version = schemaVersion(db);
      const latest = migrations[migrations.length - 1].version;
      printJson(ctx, {
        path: dbPath,
        journalMode: db.pragma('journal_mode', { simple: true }),
        synchronous: db.pragma('synchronous', { simple: true }),
        schemaVersion: version,
        latestSchemaVersion: latest,
        pending: migrations.filter((m) => m.version > version).map((m) => `${String(m.version).padStart(4, '0')}-${m.name}`),
        integrity: db.pragma('quick_check', { simple: true }),
      });
    } finally {
      db.close();
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
