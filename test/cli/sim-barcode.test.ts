import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { exited, runCli, startServe } from './run-cli.ts';

t.test('gradebooth sim barcode reaches the daemon on that data directory; its scanner decodes the HID reports', async (t) => {
  // A short path: unix socket paths are limited to 107 bytes.
  const dataDir = mkdtempSync(join(tmpdir(), 'gb-simbc-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = join(dataDir, 'booth.yaml');
  writeFileSync(config, 'hardware:\n  rig: { kind: none }\n  camera: { kind: none }\n  scanner: { kind: simulated, layout: fr, pattern: "SUB-[0-9]{4}", debounce_ms: 60000 }\n');

  const absent = await runCli(['sim', 'barcode', 'SUB-0100', '--data-dir', dataDir]);
  t.not(absent.code, 0);
  t.match(absent.stderr, /GB_HW_ABSENT: no gradebooth daemon is running on this data directory/);

  const created = await runCli(['token', 'create', '--role', 'operator', '--data-dir', dataDir]);
  const token = created.stdout.trim().split('\n').at(-1) ?? '';
  const { child, port } = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events?access_token=${token}`);
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  ws.on('message', (m) => events.push(JSON.parse(m.toString()) as (typeof events)[number]));
  await new Promise((resolve) => ws.once('open', resolve));
  t.teardown(() => ws.close());

  const ok = await runCli(['sim', 'barcode', 'SUB-0100', '--data-dir', dataDir, '--json']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(JSON.parse(ok.stdout.trim().split('\n').at(-1) ?? '{}'), { outcome: 'accepted', code: 'SUB-0100' });
  const again = await runCli(['sim', 'barcode', 'SUB-0100', '--data-dir', dataDir]);
  t.match(again.stdout, /again within the debounce window/);
  const bad = await runCli(['sim', 'barcode', 'SUB-12', '--data-dir', dataDir]);
  t.not(bad.code, 0);
  t.match(bad.stderr, /GB_BARCODE_INVALID: scanned code "SUB-12" does not parse: expected a code matching/);

  for (let i = 0; i < 50 && !events.some((e) => e.type === 'scanner.rejected'); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(events.filter((e) => e.type.startsWith('scanner.')), [
    { type: 'scanner.barcode', data: { code: 'SUB-0100', source: /simulated keyboard-wedge scanner \(fr layout\)/ } },
    { type: 'scanner.rejected', data: { code: 'GB_BARCODE_INVALID', message: /SUB-12/ } },
  ]);

  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
  const gone = await runCli(['sim', 'barcode', 'SUB-0101', '--data-dir', dataDir]);
  t.match(gone.stderr, /GB_HW_ABSENT/, 'the socket is removed on stop');
});
