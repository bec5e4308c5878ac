import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exited, runCli, startServe } from './run-cli.ts';

t.test('serve on a temporary data directory and a free port: health, auth, WAL, SIGTERM', async (t) => {
  const dataDir = t.testdir({});
  const created = await runCli(['token', 'create', '--role', 'operator', '--data-dir', dataDir]);
  t.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim().split('\n').at(-1) ?? '';
  t.match(token, /^gb_/, 'the token is the last line of the output');

  const { child, port } = await startServe(['--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  const health = await fetch(`${base}/api/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok', version: String });

  const anonymous = await fetch(`${base}/api/status`);
  t.equal(anonymous.status, 401);
  t.equal(((await anonymous.json()) as { code: string }).code, 'GB_AUTH_MISSING');

  const status = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(status.status, 200);
  const body = (await status.json()) as { database: { journalMode: string; schemaVersion: number }; hardware: Array<{ device: string; state: string }> };
  t.equal(body.database.journalMode, 'wal');
  t.ok(body.database.schemaVersion >= 1);
  t.same(body.hardware.map((h) => h.device).sort(), ['camera', 'rig', 'scanner'], 'every device slot is reported');

  // With no settings file the booth is the simulated one: the real firmware in simavr answers on a pty.
  let rig: { state: string; kind: string; info?: { protocolVersion?: number } } | undefined;
  for (let i = 0; i < 100 && rig?.state !== 'connected'; i++) {
    const s = (await (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof body;
    rig = s.hardware.find((h) => h.device === 'rig') as typeof rig;
    if (rig?.state !== 'connected') await new Promise((r) => setTimeout(r, 100));
  }
  t.match(rig, { kind: 'simulated', state: 'connected', info: { protocolVersion: 1 } }, 'the simulated rig is connected');
  const cameraStatus = ((await (await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof body).hardware.find((h) => h.device === 'camera');
  t.match(cameraStatus, { kind: 'simulated', state: 'connected', detail: /simulated booth camera/ }, 'the simulated camera is open');

  const db = new Database(join(dataDir, 'gradebooth.sqlite'), { readonly: true });
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.ok((db.pragma('user_version', { simple: true }) as number) >= 1, 'migrations applied');
  db.close();

  const t0 = Date.now();
  child.kill('SIGTERM');
  const code = await exited(child);
  t.equal(code, 0, 'exit status 0 on SIGTERM');
  t.ok(Date.now() - t0 < 10_000, 'within 10 s');
});

t.test('SIGINT stops gracefully too, and the WAL is checkpointed into the main file', async (t) => {
  const dataDir = t.testdir({});
  const { child } = await startServe(['--data-dir', dataDir, '--port', '0']);
  child.kill('SIGINT');
  t.equal(await exited(child), 0);
  const walBytes = (await import('node:fs')).statSync(join(dataDir, 'gradebooth.sqlite-wal'), { throwIfNoEntry: false })?.size ?? 0;
  t.equal(walBytes, 0, 'no pending WAL after a clean stop');
});

t.test('a settings file with an unknown key is refused with a message that names it', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'booth.yaml');
  writeFileSync(file, 'no_such_setting: true\n');
  const r = await runCli(['serve', '--config', file, '--port', '0']);
  t.not(r.code, 0);
  t.match(r.stderr, /GB_CONFIG_INVALID: .*unknown key "no_such_setting"/);
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ http: { port: 'eighty' } }));
  const r2 = await runCli(['serve', '--config', typo]);
  t.not(r2.code, 0);
  t.match(r2.stderr, /"http.port" must be integer/);
});

t.test('environment variables override the data directory and the port', async (t) => {
  const dataDir = t.testdir({});
  const { child, port } = await startServe([], { GRADEBOOTH_DATA_DIR: dataDir, GRADEBOOTH_PORT: '0' });
  t.ok(port > 0);
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
  t.ok((await import('node:fs')).existsSync(join(dataDir, 'gradebooth.sqlite')), 'database created in GRADEBOOTH_DATA_DIR');
});

// A receiver for the systemd notification socket: Node has no unix datagram sockets, so use Python.
const receiver = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(4096).decode()
    print(data.replace("\\n", "|"), flush=True)
`;

t.test('sd_notify: READY=1, WATCHDOG=1 pings at half of WATCHDOG_USEC, STOPPING=1', async (t) => {
  const dir = t.testdir({});
  // Unix socket paths are limited to 107 bytes; tap's fixture paths are longer.
  const sockDir = mkdtempSync(join(tmpdir(), 'gb-notify-'));
  t.teardown(() => rmSync(sockDir, { recursive: true, force: true }));
  const sock = join(sockDir, 'notify.sock');
  const py = spawn('python3', ['-c', receiver, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => py.kill());
  let lines = '';
  await new Promise<void>((resolve) => py.stdout.on('data', (d: Buffer) => { lines += d.toString(); if (lines.includes('bound')) resolve(); }));
  const { child } = await startServe(['--data-dir', join(dir, 'data'), '--port', '0'], { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' });
  // 400 ms watchdog → pings every 200 ms; wait for a few.
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
  await new Promise((r) => setTimeout(r, 200));
  const messages = lines.split('\n').filter((l) => l && l !== 'bound');
  t.match(messages[0], /^READY=1\|STATUS=serving on/);
  const pings = messages.filter((m) => m === 'WATCHDOG=1').length;
  t.ok(pings >= 3 && pings <= 6, `watchdog pinged ${pings} times in about 1 s at a 200 ms interval`);
  t.equal(messages.at(-1), 'STOPPING=1');
});
