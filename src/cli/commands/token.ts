import type { Command, CommandContext } from '../command.ts';
import { boolOption, printJson, stringOption } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { openDatabase } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { TokenRepository, type Role } from '../../storage/tokens.ts';
import { AuditLog } from '../../storage/audit-log.ts';
import { createError } from '../../core/errors.ts';
import type { ParsedArgs } from '../command.ts';
import { userInfo } from 'node:os';

function withTokens<T>(args: ParsedArgs, ctx: CommandContext, fn: (tokens: TokenRepository, audit: AuditLog) => T): T {
  const { settings } = settingsFromArgs(args, ctx.env);
  const db = openDatabase(dataDirLayout(settings.data_dir).dbPath);
  try {
    return fn(new TokenRepository(db), new AuditLog(db));
  } finally {
    db.close();
  }
}

const cliActor = (): string => `cli:${userInfo().username}`;

export const tokenCreateCommand: Command = {
  name: 'token create',
  summary: 'create an API token; prints the secret once, as the last line',
  usage: '--role operator|technician [--name NAME] [--data-dir DIR]',
  help: `Options:
  --role ROLE       operator (runs the booth) or technician (also calibration, tokens, diagnostics)
  --name NAME       a label for the token, e.g. the kiosk or the person (default: ROLE)
${settingsOptionsHelp}

Only a hash of the token is stored: copy it now.`,
  options: { ...settingsOptions, role: { type: 'string' }, name: { type: 'string' } },
  async run(args, ctx) {
    const role = stringOption(args, 'role');
    if (role !== 'operator' && role !== 'technician') {
      throw createError('GB_USAGE', `--role must be operator or technician, got ${role === undefined ? 'nothing' : `"${role}"`}`);
    }
    const name = stringOption(args, 'name') ?? role;
    const { token, record } = withTokens(args, ctx, (tokens, audit) => {
      const created = tokens.create(role as Role, name);
      audit.record(cliActor(), 'token.create', created.record.id, { role, name });
      return created;
    });
    ctx.stdout.write(`created ${record.role} token ${record.id} ("${record.name}"); it is shown only once:\n${token}\n`);
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
    const list = withTokens(args, ctx, (tokens) => tokens.list());
    if (boolOption(args, 'json')) {
      printJson(ctx, list);
      return 0;
    }
    if (list.length === 0) {
      ctx.stdout.write('no tokens; create one with `gradebooth token create --role operator`\n');
      return 0;
    }
    for (const t of list) {
      const state = t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`;
      ctx.stdout.write(`${t.id}  ${t.role.padEnd(10)}  ${t.name.padEnd(20)}  created ${t.createdAt}  ${state}\n`);
    }
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
