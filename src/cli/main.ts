import { commands } from './registry.ts';
import { parseCommandArgs, type Command, type CommandContext } from './command.ts';
import { isGradeboothError } from '../core/errors.ts';
import { packageVersion } from '../core/version.ts';
import { escapeTerminal } from './terminal-text.ts';

function topHelp(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `gradebooth ${packageVersion} — trading-card grading booth daemon and technician tools`,
    '',
    'Usage: gradebooth <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Every command takes --help.',
    '',
  ].join('\n');
}

function groupHelp(group: string, list: readonly Command[]): string {
  return topHelp(list.filter((c) => c.name.startsWith(`${group} `)));
}

function commandHelp(c: Command): string {
  return [`Usage: gradebooth ${c.name} ${c.usage}`.trimEnd(), '', c.summary, '', c.help.trimEnd(), ''].join('\n');
}

/** Find the command whose (multi-word) name is the longest prefix of argv. */
function resolve(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/** Run the CLI; returns the process exit code. */
export async function main(argv: string[], ctxOverrides: Partial<CommandContext> = {}): Promise<number> {
  const controller = new AbortController();
  const ctx: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stopSignal: controller.signal,
    ...ctxOverrides,
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    ctx.stdout.write(topHelp(commands));
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    ctx.stdout.write(`${packageVersion}\n`);
    return 0;
  }
  const found = resolve(argv);
  if (!found) {
    const group = argv[0] ?? '';
    const inGroup = commands.filter((c) => c.name.startsWith(`${group} `));
    if (inGroup.length > 0) {
      const wantsHelp = argv.includes('--help') || argv.includes('-h');
      (wantsHelp ? ctx.stdout : ctx.stderr).write(
        (wantsHelp ? '' : `gradebooth ${argv.slice(0, 2).join(' ')}: unknown command\n\n`) + groupHelp(group, commands),
      );
      return wantsHelp ? 0 : 2;
    }
    ctx.stderr.write(`gradebooth: unknown command "${escapeTerminal(argv[0])}"\n\n${topHelp(commands)}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(commandHelp(command));
    return 0;
  }
  const onSignal = (): void => controller.abort();
  if (!ctxOverrides.stopSignal) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    const args = parseCommandArgs(command, rest);
    return await command.run(args, ctx);
  } catch (err) {
    if (isGradeboothError(err)) {
      // Messages quote what was given (an id, a barcode, a file name): shown escaped, never raw.
      ctx.stderr.write(`gradebooth ${command.name}: ${err.code}: ${escapeTerminal(err.message)}\n`);
      return err.code === 'GB_USAGE' ? 2 : 1;
    }
    ctx.stderr.write(`gradebooth ${command.name}: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
