import t from 'tap';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { commands } from '../../src/cli/registry.ts';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb(); } });
  return { stream, text: () => text };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, env: {}, stopSignal: new AbortController().signal });
  return { code, out: out.text(), err: err.text() };
}

t.test('--help lists every command', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  for (const c of commands) t.match(r.out, c.name, `lists ${c.name}`);
});

t.test('every command has --help with a usage line', async (t) => {
  for (const c of commands) {
    const r = await run([...c.name.split(' '), '--help']);
    t.equal(r.code, 0, `${c.name} --help exits 0`);
    t.match(r.out, `Usage: gradebooth ${c.name}`);
  }
});

t.test('a group name lists its commands; unknown commands and options are usage errors', async (t) => {
  const group = await run(['token', '--help']);
  t.equal(group.code, 0);
  t.match(group.out, 'token create');
  t.notMatch(group.out, 'serve ');
  const unknown = await run(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, 'unknown command "frobnicate"');
  const badOption = await run(['token', 'list', '--colour']);
  t.equal(badOption.code, 2);
  t.match(badOption.err, /GB_USAGE: .*--colour/);
  const badRole = await run(['token', 'create', '--role', 'admin', '--data-dir', t.testdir({})]);
  t.equal(badRole.code, 2);
  t.match(badRole.err, '--role must be operator or technician, got "admin"');
});

t.test('token list and revoke through the CLI', async (t) => {
  const dir = t.testdir({});
  const created = await run(['token', 'create', '--role', 'technician', '--name', 'field tech', '--data-dir', dir]);
  t.equal(created.code, 0);
  const id = /token ([0-9a-f]{12})/.exec(created.out)?.[1] ?? '';
  const list = await run(['token', 'list', '--json', '--data-dir', dir]);
  const parsed = JSON.parse(list.out) as Array<{ id: string; role: string; name: string }>;
  t.match(parsed, [{ id, role: 'technician', name: 'field tech' }]);
  t.notMatch(list.out, created.out.trim().split('\n').at(-1) ?? 'x', 'the secret is never listed');
  t.equal((await run(['token', 'revoke', id, '--data-dir', dir])).code, 0);
  const again = await run(['token', 'revoke', id, '--data-dir', dir]);
  t.equal(again.code, 1);
  t.match(again.err, 'GB_NOT_FOUND');
  const status = JSON.parse((await run(['db', 'status', '--data-dir', dir])).out) as { journalMode: string; pending: string[]; integrity: string };
  t.match(status, { journalMode: 'wal', pending: [], integrity: 'ok' });
});
