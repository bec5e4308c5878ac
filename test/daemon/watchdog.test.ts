import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, startServe } from '../cli/run-cli.ts';

// A systemd notification socket the test reads: Node has no unix datagram sockets, so use Python.
const receiver = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)
`;

t.test('the watchdog stops pinging while the API cannot answer, and resumes after (issue 12, defect 3)', async (t) => {
  const sockDir = mkdtempSync(join(tmpdir(), 'gb-notify-'));
  t.teardown(() => rmSync(sockDir, { recursive: true, force: true }));
  const sock = join(sockDir, 'notify.sock');
  const py = spawn('/usr/bin/python3', ['-c', receiver, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => py.kill());
  let notes = '';
  const waitNote = (re: RegExp, from: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (re.test(notes.slice(from))) {
          py.stdout.off('data', check);
          resolve();
        }
      };
      py.stdout.on('data', check);
      check();
    });
  py.stdout.on('data', (d: Buffer) => (notes += d.toString()));
  await waitNote(/bound/, 0);

  // A low descriptor limit lets a flood of idle connections wedge the API, as the probe saw in the field.
  const { child, port, output } = await startServe(['--data-dir', join(t.testdir({}), 'data'), '--port', '0'], { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' }, ['prlimit', '--nofile=120']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitNote(/WATCHDOG=1/, 0);

  const flood: Socket[] = [];
  t.teardown(() => flood.forEach((s) => s.destroy()));
  for (let i = 0; i < 200; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    flood.push(s);
  }
  // Two withheld pings in a row, with no WATCHDOG=1 between them.
  const waitLog = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setInterval(() => {
        if ((output().match(/withholding the watchdog ping/g) ?? []).length >= count) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
  await waitLog(1);
  const mark = notes.length;
  await waitLog(2);
  t.notMatch(notes.slice(mark), /WATCHDOG=1/, 'no ping while the API cannot answer');
  t.match(output(), /"check":"api"/, 'the log names the failed check');

  for (const s of flood) s.destroy();
  const resumed = notes.length;
  await waitNote(/WATCHDOG=1/, resumed);
  t.pass('pings resume once the API answers again');
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
});

t.test('the stall meter sees a blocked event loop', async (t) => {
  const { EventLoopStallMeter } = await import('../../src/daemon/health-probe.ts');
  const meter = new EventLoopStallMeter();
  meter.start();
  t.teardown(() => meter.stop());
  await new Promise((r) => setTimeout(r, 100));
  meter.takeMaxMs();
  const until = Date.now() + 400;
  while (Date.now() < until) {
    // Busy: nothing else may run.
  }
  await new Promise((r) => setTimeout(r, 50));
  t.ok(meter.takeMaxMs() >= 300, 'a 400 ms block shows as a stall of at least 300 ms');
});
