import t from 'tap';
import { readFileSync } from 'node:fs';
import { settingsReference } from '../../src/config/load.ts';
import { commands } from '../../src/cli/registry.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

t.test('the README documents every setting', async (t) => {
  for (const r of settingsReference()) t.match(readme, `| \`${r.key}\` |`, `${r.key} is in the settings reference`);
});

t.test('the README documents every command with its usage', async (t) => {
  for (const c of commands) {
    const usage = `gradebooth ${`${c.name} ${c.usage}`.trim().replaceAll('|', '\\|')}`;
    t.ok(readme.includes(usage), `README has "${usage}" (regenerate with scripts/cli-reference.ts)`);
  }
});

t.test('the README quick start is the two commands CI and users run', async (t) => {
  t.match(readme, 'bash scripts/start-sim-booth.sh');
  t.match(readme, /\nnpm test\s/);
  const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
  t.match(ci, /^npm test$/m, '.ci/run runs exactly the README test command');
});
