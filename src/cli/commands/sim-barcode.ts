import { createError } from '../../core/errors.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { controlRequest } from '../../daemon/control-socket.ts';
import { boolOption, printJson, type Command } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';

export const simBarcodeCommand: Command = {
  name: 'sim barcode',
  summary: "scan CODE with the running daemon's simulated barcode scanner (HID reports through the real decoder)",
  usage: 'CODE [--data-dir DIR] [--json]',
  help: `Reaches the daemon serving this data directory over its control socket (DIR/gradebooth.sock) and
makes its simulated scanner type CODE as USB HID keyboard reports, Enter last. The daemon decodes them
like a real scanner's; a code that does not parse fails with GB_BARCODE_INVALID.
  --json            print the outcome as JSON
${settingsOptionsHelp}

Example: gradebooth sim barcode SUB-0100 --data-dir var/data`,
  options: { ...settingsOptions, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const reply = await controlRequest(dataDirLayout(settings.data_dir).controlSocket, 'sim.barcode', { code: args.positionals[0] });
    if (!reply.ok) throw createError(reply.code, reply.message);
    if (boolOption(args, 'json')) printJson(ctx, reply.result);
    else ctx.stdout.write(reply.result.outcome === 'accepted' ? `scanned ${String(reply.result.code)}\n` : `read ${String(reply.result.code)} again within the debounce window: one scan\n`);
    return 0;
  },
};
