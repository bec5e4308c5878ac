import type { Command, CommandContext } from '../command.ts';
import { boolOption, printJson, stringOption } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { openDatabase, openDatabaseForReading } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { TokenRepository, type Role } from '../../storage/tokens.ts';
import { AuditLog } from '../../storage/audit-log.ts';
import { createError } from '../../core/errors.ts';
import type { ParsedArgs } from '../command.ts';
import { userInfo } from 'node:os';
import { escapeTerminal, printTable } from '../terminal-text.ts';

function withTokens<T>(args: ParsedArgs, ctx: CommandContext, fn: (tokens: TokenRepository, audit: AuditLog) => T, readOnly = false): T {
  const { settings } = settingsFromArgs(args, ctx.env);
  const { dbPath } = dataDirLayout(settings.data_dir);
  const db = readOnly ? openDatabaseForReading(dbPath) : openDatabase(dbPath);
  try {
    return fn(new TokenRepository(db), new AuditLog(db));
  } finally {
    db.close();
  }
}

const cliActor = (): string => `cli:${userInfo().username}`;

const durationUnitsS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--expires-in` as seconds: a whole number with a unit, `90s`, `30m`, `12h`, `30d` (at most 10 years). */
export function parseDurationS(raw: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(raw.trim());
  const seconds = m ? Number(m[1]) * durationUnitsS[m[2]] : NaN;
  if (!(seconds > 0 && seconds <= 10 * 365 * 86400)) {
    throw createError('GB_USAGE', `--expires-in: expected a duration such as 90s, 30m, 12h or 30d (at most 10 years), got "${raw}"`);
  }
  return seconds;
}

export const tokenCreateCommand: Command = {
  name: 'token create',
  summary: 'create an API token; prints the secret once, as the last line',
  usage: '--role operator|technician [--name NAME] [--expires-in DURATION] [--data-dir DIR]',
  help: `Options:
  --role ROLE       operator (runs the booth) or technician (also calibration, tokens, diagnostics)
  --name NAME       a label for the token, e.g. the kiosk or the person (default: ROLE)
  --expires-in D    the token stops working after D: 90s, 30m, 12h, 30d (default: never)
${settingsOptionsHelp}

Only a hash of the token is stored: copy it now.`,
  options: { ...settingsOptions, role: { type: 'string' }, name: { type: 'string' }, 'expires-in': { type: 'string' } },
  async run(args, ctx) {
    const role = stringOption(args, 'role');
    if (role !== 'operator' && role !== 'technician') {
      throw createError('GB_USAGE', `--role must be operator or technician, got ${role === undefined ? 'nothing' : `"${role}"`}`);
    }
    const name = stringOption(args, 'name') ?? role;
    const expiresRaw = stringOption(args, 'expires-in');
    const expiresInS = expiresRaw === undefined ? undefined : parseDurationS(expiresRaw);
    const { token, record } = withTokens(args, ctx, (tokens, audit) => {
      const created = tokens.create(role as Role, name, new Date(), expiresInS);
      audit.record(cliActor(), 'token.create', created.record.id, { role, name, expiresAt: created.record.expiresAt });
      return created;
    });
    const expiry = record.expiresAt ? `, expires ${record.expiresAt}` : '';
    ctx.stdout.write(`created ${record.role} token ${record.id} ("${escapeTerminal(record.name)}"${expiry}); it is shown only once:\n${token}\n`);
    return 0;
  },
};

export const tokenListCommand: Command = {
  name: 'token list',
  summary: 'list API tokens (ids, roles, use; never the secrets)',
  usage: '[--json] [--data-dir DIR]',
  help: `Options:
  --json            one JSON array instead of a table
${settingsOptionsHelp}`,
  options: { ...settingsOptions, json: { type: 'boolean' } },
  async run(args, ctx) {
    const list = withTokens(args, ctx, (tokens) => tokens.list(), true);
    if (boolOption(args, 'json')) {
      printJson(ctx, list);
      return 0;
    }
    if (list.length === 0) {
      ctx.stdout.write('no tokens; create one with `gradebooth token create --role operator`\n');
      return 0;
    }
    const now = new Date().toISOString();
    printTable(
      ctx.stdout,
      list.map((t) => {
        const expired = t.expiresAt !== null && t.expiresAt <= now;
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : expired ? `expired ${t.expiresAt}` : `last used ${t.lastUsedAt ?? 'never'}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}`;
        return [t.id, t.role, t.name, `created ${t.createdAt}`, state];
      }),
    );
    return 0;
  },
};

export const tokenRevokeCommand: Command = {
  name: 'token revoke',
  summary: 'revoke an API token by id',
  usage: '<id> [--data-dir DIR]',
  help: `Arguments:
  <id>              the token id shown by \`token list\` (12 hex digits)
${settingsOptionsHelp}`,
  options: { ...settingsOptions },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const id = args.positionals[0];
    const done = withTokens(args, ctx, (tokens, audit) => {
      const ok = tokens.revoke(id);
      if (ok) audit.record(cliActor(), 'token.revoke', id);
      return ok;
    });
    if (!done) throw createError('GB_NOT_FOUND', `no live token with id "${id}" (see \`gradebooth token list\`)`);
    ctx.stdout.write(`revoked ${id}\n`);
    return 0;
  },
};
