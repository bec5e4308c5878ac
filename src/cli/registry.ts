import type { Command } from './command.ts';

/**
 * Every `gradebooth` command, listed explicitly (no directory autoloading), so `--help` and the README's
 * CLI reference come from one list. Add a command by importing it here.
 */
export const commands: readonly Command[] = [];
