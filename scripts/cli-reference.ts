// Prints the README's CLI reference from the command registry: `node --import tsx scripts/cli-reference.ts`.
import { commands } from '../src/cli/registry.ts';

const lines = ['| command | what |', '|---|---|'];
for (const c of commands) lines.push(`| \`gradebooth ${`${c.name} ${c.usage}`.trim().replaceAll('|', '\\|')}\` | ${c.summary} |`);
process.stdout.write(`${lines.join('\n')}\n`);
