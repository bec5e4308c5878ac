import t from 'tap';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, runCli, startServe } from './run-cli.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { SIMRIG_OWNER_FILE, SIMRIG_TEMP_PREFIX } from '../../src/sim/rig/temp-dirs.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

/** Processes (other than this one) whose environment carries the marker: descendants of a run, wherever they were reparented. */
function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(`GB_TEST_MARKER=${marker}`)) found.push(Number(name));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** Simulated-rig temp folders whose owner file names pid. */
function simRigFoldersOf(pid: number): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith(SIMRIG_TEMP_PREFIX))
    .filter((n) => {
      try {
        return (JSON.parse(readFileSync(join(tmpdir(), n, SIMRIG_OWNER_FILE), 'utf8')) as { pid: number }).pid === pid;
      } catch {
        return false;
      }
    });
}

t.test('a busy port: serve exits non-zero with GB_PORT_IN_USE and the port, no stack, no simulator left, no lock left', { skip }, async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dataDir = t.testdir({});
  const marker = randomUUID();
  const r = await runCli(['serve', '--sim', '--data-dir', dataDir, '--port', String(port)], { GB_TEST_MARKER: marker });
  t.not(r.code, 0, 'exit status is non-zero');
  t.match(r.stderr, new RegExp(`GB_PORT_IN_USE: cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use`));
  t.notMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
  t.same(processesWithMarker(marker), [], 'no simulator (or any other child) of it is left running');
  t.notOk(existsSync(join(dataDir, 'daemon.lock')), 'the data-directory lock is released');
});

t.test('one owner per data directory: a second serve and CLI hardware commands are refused naming the daemon; a killed daemon’s lock and temp folder are taken over', { skip }, async (t) => {
  const dataDir = t.testdir({});
  const first = await startServe(['--sim', '--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  const pid = first.child.pid!;
  const lock = JSON.parse(readFileSync(join(dataDir, 'daemon.lock'), 'utf8')) as Record<string, unknown>;
  t.match(lock, { pid, command: 'serve', port: first.port, socketPath: join(dataDir, 'gradebooth.sock') }, 'the lock names the daemon, its port and socket');

  const holderText = new RegExp(`GB_DATA_DIR_LOCKED: data directory .* is held by pid ${pid} \\(serve, port ${first.port}`);
  const second = await runCli(['serve', '--sim', '--data-dir', dataDir, '--port', '0']);
  t.not(second.code, 0, 'a second daemon on the same data directory exits non-zero');
  t.match(second.stderr, holderText);
  t.notMatch(second.stderr + second.stdout, /\n\s+at /, 'no stack trace');

  const calibrate = await runCli(['calibrate', 'run', '--sim', '--data-dir', dataDir, '--size', '150x205']);
  t.equal(calibrate.code, 1);
  t.match(calibrate.stderr, holderText, 'calibrate run refuses to open the hardware the daemon owns');
  const scan = await runCli(['scan', '--sim', '--data-dir', dataDir, '--barcode', 'SUB-0002', '--size', '150x205', '--json']);
  t.equal(scan.code, 1);
  t.match(scan.stderr, holderText, 'so does scan');
  const rig = await runCli(['rig', 'status', '--sim', '--data-dir', dataDir]);
  t.equal(rig.code, 1);
  t.match(rig.stderr, holderText, 'so does a rig command given the data directory');

  const folders = simRigFoldersOf(pid);
  t.equal(folders.length, 1, 'the daemon’s simulated rig has a temp folder that names it');
  first.child.kill('SIGKILL');
  await exited(first.child);
  t.ok(existsSync(join(dataDir, 'daemon.lock')), 'kill -9 leaves the lock file behind');
  t.same(simRigFoldersOf(pid), folders, '… and the simulated rig’s temp folder');

  const next = await startServe(['--sim', '--data-dir', dataDir, '--port', '0']);
  t.teardown(() => {
    if (next.child.exitCode === null) next.child.kill('SIGKILL');
  });
  t.match(next.output(), new RegExp(`took over the stale data-directory lock of pid ${pid} \\(serve, port ${first.port}`), 'the next daemon takes over, saying so');
  t.same(simRigFoldersOf(pid), [], 'and the dead daemon’s simulated-rig temp folder is removed');
  t.match(JSON.parse(readFileSync(join(dataDir, 'daemon.lock'), 'utf8')), { pid: next.child.pid, port: next.port });
  next.child.kill('SIGTERM');
  t.equal(await exited(next.child), 0);
  t.notOk(existsSync(join(dataDir, 'daemon.lock')), 'a clean stop removes the lock');
});
