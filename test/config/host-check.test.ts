import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.ts';

t.test('config check fails when http.host does not resolve (issue 12)', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'booth.json');
  writeFileSync(file, JSON.stringify({ http: { host: 'no-such-booth-host.invalid' } }));
  const r = await runCli(['config', 'check', '--config', file]);
  t.equal(r.code, 1);
  t.match(r.stderr, /GB_CONFIG_INVALID: "http.host" = "no-such-booth-host.invalid" does not resolve/);
  writeFileSync(file, JSON.stringify({ http: { host: 'localhost' } }));
  const ok = await runCli(['config', 'check', '--config', file]);
  t.equal(ok.code, 0, ok.stderr);
});
