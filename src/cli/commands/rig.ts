import { createError } from '../../core/errors.ts';
import { boolOption, intOption, printJson, type Command } from '../command.ts';
import { CHANNELS, MAX_LEVEL, faultNames } from '../../hardware/rig/messages.ts';
import { rigOptions, rigOptionsHelp, withRig } from './rig-session.ts';
import { printTable } from '../terminal-text.ts';

export const rigIdentifyCommand: Command = {
  name: 'rig identify',
  summary: 'identify the LED rig: firmware and protocol versions, channels, serial',
  usage: '[--port PATH | --sim] [--data-dir DIR] [--json]',
  help: `Prints the rig's identity as JSON.\n${rigOptionsHelp}\nExample: gradebooth rig identify --port /dev/ttyACM0`,
  options: rigOptions,
  async run(args, ctx) {
    return withRig(args, ctx, async ({ driver }) => {
      const id = await driver.identify();
      printJson(ctx, { ...id, port: args.values.port ?? 'sim' });
      return 0;
    });
  },
};

export const rigStatusCommand: Command = {
  name: 'rig status',
  summary: 'LED rig status: state, faults, temperature, latched levels, link counters',
  usage: '[--port PATH | --sim] [--data-dir DIR] [--json]',
  help: rigOptionsHelp,
  options: rigOptions,
  async run(args, ctx) {
    return withRig(args, ctx, async ({ driver }) => {
      const status = await driver.status();
      const health = driver.health();
      if (boolOption(args, 'json')) {
        printJson(ctx, { ...status, faultNames: faultNames(status.faults), health });
      } else {
        printTable(ctx.stdout, [
          ['state', `${status.state}`],
          ['faults', `${status.faults ? faultNames(status.faults).join(', ') : 'none'}`],
          ['temperature', `${status.tempC === null ? 'sensor fault' : `${status.tempC.toFixed(2)} °C`} (adc ${status.adcRaw})`],
          ['config', `hostTimeoutMs ${status.hostTimeoutMs}, maxOnMs ${status.maxOnMs}, tempLimit ${status.tempLimitC} °C`],
          ['sequence', `${status.stepsLoaded} steps loaded${status.currentStep === null ? '' : `, running step ${status.currentStep}`}`],
          ['levels', `${status.levels.join(' ')}${status.blanked ? ' (blanked)' : ''}`],
          ['link', `rto ${health.rtoMs.toFixed(1)} ms, ${Object.entries(health.counters).map(([k, v]) => `${k} ${v}`).join(', ')}`],
        ]);
      }
      return 0;
    });
  },
};

export const rigLedCommand: Command = {
  name: 'rig led',
  summary: 'light one LED channel at a level until stopped (then all off)',
  usage: '<channel 0..23> <level 0..4095> [--hold-ms MS] [--port PATH | --sim] [--data-dir DIR]',
  help: `Lights one channel (the others off), keeps the link alive so the rig's host timeout does not cut it,
and turns everything off on Ctrl-C or after --hold-ms.
  --hold-ms MS  stop after this long instead of waiting for Ctrl-C
${rigOptionsHelp}`,
  options: { ...rigOptions, 'hold-ms': { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run(args, ctx) {
    const channel = Number(args.positionals[0]);
    const level = Number(args.positionals[1]);
    if (!Number.isInteger(channel) || channel < 0 || channel >= CHANNELS) throw createError('GB_USAGE', `channel: expected 0..${CHANNELS - 1}, got "${args.positionals[0]}"`);
    if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) throw createError('GB_USAGE', `level: expected 0..${MAX_LEVEL}, got "${args.positionals[1]}"`);
    const holdMs = intOption(args, 'hold-ms', 0, 3_600_000);
    return withRig(args, ctx, async ({ driver }) => {
      const levels = new Array<number>(CHANNELS).fill(0);
      levels[channel] = level;
      await driver.setLevels(levels);
      if (boolOption(args, 'json')) printJson(ctx, { channel, level, lit: true });
      else ctx.stdout.write(`channel ${channel} at ${level}; ${holdMs === undefined ? 'Ctrl-C to turn it off' : `holding ${holdMs} ms`}\n`);
      await waitStop(ctx.stopSignal, holdMs);
      await driver.allOff();
      return 0;
    });
  },
};

export const rigAllOffCommand: Command = {
  name: 'rig all-off',
  summary: 'turn every LED of the rig off',
  usage: '[--port PATH | --sim] [--data-dir DIR]',
  help: rigOptionsHelp,
  options: rigOptions,
  async run(args, ctx) {
    return withRig(args, ctx, async ({ driver }) => {
      await driver.allOff();
      const status = await driver.status();
      if (boolOption(args, 'json')) printJson(ctx, { allOff: status.levels.every((l) => l === 0), levels: status.levels });
      else ctx.stdout.write(`all LEDs off (${status.levels.every((l) => l === 0) ? 'confirmed by status' : 'status still shows levels!'})\n`);
      return status.levels.every((l) => l === 0) ? 0 : 1;
    });
  },
};

function waitStop(signal: AbortSignal, ms: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
