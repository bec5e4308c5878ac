import type { Command } from '../command.ts';
import { boolOption, printJson } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { settingsReference } from '../../config/load.ts';

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
    printJson(ctx, { file: loaded.file ?? null, overrides: loaded.overrides, settings: loaded.settings });
    return 0;
  },
};
