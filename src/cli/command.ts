import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';
import { createError } from '../core/errors.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What a command gets besides its arguments: its streams and environment (injected for tests). */
export interface CommandContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM); long-running commands await it. */
  stopSignal: AbortSignal;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * One `gradebooth` command. `name` may have several words (`rig identify`); the dispatcher picks the
 * longest registered name that prefixes argv. `options` are node:util parseArgs options.
 */
export interface Command {
  name: string;
  summary: string;
  /** Usage line after the command name, e.g. `[--port PATH | --sim]`. */
  usage: string;
  /** Longer help: options, one per line, and examples. */
  help: string;
  options: OptionsConfig;
  /** Names of positionals accepted, for the usage check; absent = none accepted. */
  positionals?: { min: number; max: number };
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

/** Parse argv for a command, turning parseArgs' errors into GB_USAGE errors that name the command. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: command.options,
      allowPositionals: command.positionals !== undefined,
      strict: true,
    });
  } catch (err) {
    throw createError('GB_USAGE', `gradebooth ${command.name}: ${(err as Error).message}`);
  }
  const positionals = parsed.positionals;
  if (command.positionals) {
    const { min, max } = command.positionals;
    if (positionals.length < min || positionals.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      throw createError(
        'GB_USAGE',
        `gradebooth ${command.name}: expected ${want} argument(s), got ${positionals.length}; usage: gradebooth ${command.name} ${command.usage}`,
      );
    }
  }
  return { values: parsed.values as ParsedArgs['values'], positionals };
}

/** Read a string option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Read a string option that must be given; `what` names its value in the message (e.g. `DIR`). */
export function requiredStringOption(args: ParsedArgs, name: string, what: string): string {
  const v = stringOption(args, name);
  if (!v) throw createError('GB_USAGE', `--${name} ${what} is required`);
  return v;
}

/** Read an integer option within [min, max], or undefined when absent. */
export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw createError('GB_USAGE', `--${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function boolOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** Print one JSON object on its own line (the machine-readable last line of `--json` commands). */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`);
}
