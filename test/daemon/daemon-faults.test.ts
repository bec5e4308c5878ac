import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, runCli, startServe } from '../cli/run-cli.ts';

/** Open file descriptors of a process, from /proc. */
const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** One raw websocket handshake on /api/events; resolves with the status line once the server answered and the client closed. */
function handshake(port: number, path: string, headers: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      // The body of a refused handshake is one JSON object; once it is in, hang up as a probe would.
      if (/\r\n\r\n[\s\S]*\}/.test(answer)) socket.destroy();
    });
    socket.on('close', () => resolve(answer.split('\r\n')[0]));
    socket.write(
      [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers, '', ''].join('\r\n'),
    );
  });
}

t.test('refused websocket handshakes do not leak the server sockets (issue 12, defect 1)', async (t) => {
  const dataDir = t.testdir({});
  const { child, port } = await startServe(['--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  t.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200);
  const before = openFds(pid);
  const statuses = new Set<string>();
  for (let i = 0; i < 200; i += 20) {
    const batch = Array.from({ length: 20 }, (_, j) =>
      (i + j) % 2 === 0 ? handshake(port, '/api/events') : handshake(port, '/api/events', ['Authorization: Bearer gb_000000000000_guess']),
    );
    for (const s of await Promise.all(batch)) statuses.add(s);
  }
  // Past the per-client limit on failed authentications the bad-token handshakes get 429 instead.
  t.ok([...statuses].every((s) => s === 'HTTP/1.1 401 Unauthorized' || s === 'HTTP/1.1 429 Too Many Requests'), `every handshake is refused: ${[...statuses].join(', ')}`);
  // The server closes its side after the client hung up; give it a moment to see the FINs, then count.
  let after = openFds(pid);
  for (let i = 0; i < 50 && after > before + 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = openFds(pid);
  }
  t.ok(after <= before + 5, `open fds ${before} before, ${after} after 200 refused handshakes`);
  t.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200, 'health still answers');
  child.kill('SIGTERM');
  t.equal(await exited(child), 0);
});

t.test('SIGTERM exits after shutdown.timeout_ms even when a client holds a request open (defect 2)', async (t) => {
  const dir = t.testdir({});
  const config = join(dir, 'booth.json');
  writeFileSync(config, JSON.stringify({ data_dir: join(dir, 'data'), shutdown: { timeout_ms: 500 }, hardware: { scanner: { kind: 'none' } } }));
  const { child, port, output } = await startServe(['--config', config, '--port', '0']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // A request whose body never completes: the graceful close waits for it forever.
  const stuck: Socket = connect(port, '127.0.0.1');
  t.teardown(() => stuck.destroy());
  await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
  stuck.write('POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"role":');
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGTERM');
  const code = await Promise.race([exited(child), new Promise<'alive'>((r) => setTimeout(() => r('alive'), 20_000))]);
  t.equal(code, 1, 'forced exit with status 1');
  t.match(output(), /graceful stop overran shutdown.timeout_ms/);
});

t.test('a failed listen (port in use) exits instead of hanging (defect 2)', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dir = t.testdir({});
  const result = await Promise.race([
    runCli(['serve', '--data-dir', join(dir, 'data'), '--port', String(port)]),
    new Promise<'alive'>((r) => setTimeout(() => r('alive'), 30_000)),
  ]);
  t.not(result, 'alive', 'the process exited');
  if (result !== 'alive') t.not(result.code, 0, 'non-zero exit');
});
