import type { Command } from '../command.ts';
import { boolOption, printJson } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { lookup } from 'node:dns/promises';
import { settingsReference } from '../../config/load.ts';
import { createError } from '../../core/errors.ts';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'validate a settings file and print the effective settings (or the settings reference)',
  usage: '[--config FILE] [--data-dir DIR] [--reference]',
  help: `Options:
${settingsOptionsHelp}
  --reference       print every setting with its type, default and meaning (Markdown table)

Exit status 0 when valid; non-zero with a message naming each wrong key otherwise.`,
  options: { ...settingsOptions, reference: { type: 'boolean' } },
  async run(args, ctx) {
    if (boolOption(args, 'reference')) {
      ctx.stdout.write('| key | type | default | meaning |\n|---|---|---|---|\n');
      for (const r of settingsReference()) ctx.stdout.write(`| \`${r.key}\` | ${r.type} | \`${r.default}\` | ${r.description} |\n`);
      return 0;
    }
    const loaded = settingsFromArgs(args, ctx.env);
    // The schema only knows it is a string; a name that does not resolve would fail at the first start.
    const host = loaded.settings.http.host;
    try {
      await lookup(host);
    } catch (err) {
      throw createError('GB_CONFIG_INVALID', `"http.host" = "${host}" does not resolve to an address (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); use an IP address or a name in /etc/hosts`);
    }
    printJson(ctx, { file: loaded.file ?? null, overrides: loaded.overrides, settings: loaded.settings });
    return 0;
  },
};
