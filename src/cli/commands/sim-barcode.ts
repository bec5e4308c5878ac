import { createError, errorCodes, type ErrorCode } from '../../core/errors.ts';
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
like a real scanner's; a code that does not parse fails with GB_BARCODE_INVALID. A code that is read
starts grading the card (a scan-card job: front, then the back once the flip is confirmed); the job id is
printed, or why no job could start (e.g. GB_NOT_CALIBRATED, exit 1).
  --json            print the outcome as JSON
${settingsOptionsHelp}

Example: gradebooth sim barcode SUB-0100 --data-dir var/data`,
  options: { ...settingsOptions, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const reply = await controlRequest(dataDirLayout(settings.data_dir).controlSocket, 'sim.barcode', { code: args.positionals[0] });
    if (!reply.ok) throw createError(reply.code, reply.message);
    const result = reply.result as { outcome: string; code: string; jobId?: string; jobError?: string };
    if (boolOption(args, 'json')) printJson(ctx, result);
    else if (result.outcome !== 'accepted') ctx.stdout.write(`read ${result.code} again within the debounce window: one scan\n`);
    else ctx.stdout.write(`scanned ${result.code}${result.jobId ? `: grading job ${result.jobId} started` : ''}\n`);
    // The code was read, but the booth could not start grading it (e.g. not calibrated): say so and fail.
    if (result.jobError) {
      const m = /^(GB_[A-Z0-9_]+): ([\s\S]*)$/.exec(result.jobError);
      throw m && m[1] in errorCodes ? createError(m[1] as ErrorCode, m[2]) : createError('GB_INTERNAL', result.jobError);
    }
    return 0;
  },
};
