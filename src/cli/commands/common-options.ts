import type { ParsedArgs } from '../command.ts';
import { intOption, stringOption } from '../command.ts';
import { loadSettings, type LoadedSettings } from '../../config/load.ts';

/** The options every command that touches the data directory accepts. */
export const settingsOptions = {
  config: { type: 'string' as const },
  'data-dir': { type: 'string' as const },
};

export const settingsOptionsHelp = `  --config FILE     settings file (YAML or JSON); defaults apply without one
  --data-dir DIR    data directory (overrides the file and GRADEBOOTH_DATA_DIR)`;

/** Load settings from --config/--data-dir(/--port) and the environment. */
export function settingsFromArgs(args: ParsedArgs, env: NodeJS.ProcessEnv): LoadedSettings {
  return loadSettings({
    file: stringOption(args, 'config'),
    dataDir: stringOption(args, 'data-dir'),
    port: args.values.port === undefined ? undefined : intOption(args, 'port', 0, 65535),
    env,
  });
}
