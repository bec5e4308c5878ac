import type { Command, CommandContext, ParsedArgs } from '../command.ts';
import { boolOption, intOption, printJson, stringOption } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { openDatabaseForReading } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { FileStore } from '../../storage/file-store.ts';
import { CalibrationRepository, checkProcedureName, type CalibrationRecord } from '../../storage/calibrations.ts';
import { allProcedures, scanProcedures } from '../../calibration/procedures.ts';
import { escapeTerminal, printTable } from '../terminal-text.ts';

function withCalibrations<T>(args: ParsedArgs, ctx: CommandContext, fn: (repo: CalibrationRepository) => T): T {
  const { settings } = settingsFromArgs(args, ctx.env);
  const { dbPath, storeDir } = dataDirLayout(settings.data_dir);
  // Only reads: the file is not changed (opened read-only once it exists at the current schema).
  const db = openDatabaseForReading(dbPath);
  try {
    return fn(new CalibrationRepository(db, new FileStore(storeDir)));
  } finally {
    db.close();
  }
}

/** Figures as one short line: numbers rounded, nested values summarised. */
function figuresLine(figures: Record<string, unknown>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : typeof v === 'object' && v !== null ? '…' : String(v)}`)
    .join(' ');
}

const recordJson = (r: CalibrationRecord): Record<string, unknown> => ({ ...r });

export const calibrateShowCommand: Command = {
  name: 'calibrate show',
  summary: 'latest calibration per procedure: valid, expired, failed or missing, and what to run',
  usage: '[--data-dir DIR] [--json]',
  help: `Lists ${allProcedures.join(', ')} and any other recorded procedure. A scan needs ${scanProcedures.join(', ')}.
  --json            last line: one JSON object {ok, message, procedures: [...]}
${settingsOptionsHelp}`,
  options: { ...settingsOptions, json: { type: 'boolean' } },
  async run(args, ctx) {
    const now = new Date();
    const result = withCalibrations(args, ctx, (repo) => {
      const names = [...allProcedures, ...repo.procedures().filter((p) => !(allProcedures as readonly string[]).includes(p))];
      return { statuses: names.map((p) => repo.status(p, now)), scan: repo.validFor(scanProcedures, now) };
    });
    if (boolOption(args, 'json')) {
      printJson(ctx, {
        ok: result.scan.ok,
        message: result.scan.message,
        checkedAt: now.toISOString(),
        procedures: result.statuses.map((s) => ({
          procedure: s.procedure,
          state: s.state,
          message: s.message,
          valid: s.valid ? recordJson(s.valid) : null,
          latest: s.latest ? recordJson(s.latest) : null,
        })),
      });
      return 0;
    }
    const rows: string[][] = [];
    for (const s of result.statuses) {
      const r = s.valid ?? s.latest;
      const detail = r ? `v${r.version} ${r.passed ? 'passed' : 'FAILED'} ${r.createdAt}, expires ${r.expiresAt}${Object.keys(r.figures).length > 0 ? `  ${figuresLine(r.figures)}` : ''}` : '';
      rows.push([s.procedure, s.state, detail]);
      if (s.state !== 'valid') rows.push(['', '', s.message]);
    }
    printTable(ctx.stdout, rows);
    ctx.stdout.write(`${result.scan.ok ? 'ready to scan' : 'cannot scan'}: ${escapeTerminal(result.scan.message)}\n`);
    return 0;
  },
};

export const calibrateHistoryCommand: Command = {
  name: 'calibrate history',
  summary: 'calibration records, newest first',
  usage: '[--procedure NAME] [--limit N] [--data-dir DIR] [--json]',
  help: `  --procedure NAME  only this procedure (e.g. lights)
  --limit N         at most N records (default 50)
  --json            last line: one JSON object {records: [...]}
${settingsOptionsHelp}`,
  options: { ...settingsOptions, procedure: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const procedure = stringOption(args, 'procedure');
    if (procedure !== undefined) checkProcedureName(procedure);
    const limit = intOption(args, 'limit', 1, 100_000) ?? 50;
    const now = new Date().toISOString();
    const records = withCalibrations(args, ctx, (repo) => repo.history(procedure, limit));
    if (boolOption(args, 'json')) {
      printJson(ctx, { procedure: procedure ?? null, records: records.map((r) => ({ ...recordJson(r), expired: r.expiresAt <= now })) });
      return 0;
    }
    if (records.length === 0) {
      ctx.stdout.write(`no calibration records${procedure ? ` for ${procedure}` : ''}; run \`gradebooth calibrate run\`\n`);
      return 0;
    }
    printTable(
      ctx.stdout,
      records.map((r) => {
        const state = !r.passed ? 'FAILED' : r.expiresAt <= now ? 'expired' : 'valid';
        return [r.createdAt, r.procedure, `v${r.version}`, state, `expires ${r.expiresAt}`, r.id, Object.keys(r.figures).length > 0 ? figuresLine(r.figures) : ''];
      }),
    );
    return 0;
  },
};
