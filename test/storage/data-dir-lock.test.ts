import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, dataDirLockPath, readDataDirHolder } from '../../src/storage/data-dir-lock.ts';
import { isGradeboothError } from '../../src/core/errors.ts';
import { processStartTicks } from '../../src/core/process-identity.ts';

/** A pid that certainly belongs to no running process: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

function lockedError(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> | undefined } {
  try {
    fn();
  } catch (err) {
    if (isGradeboothError(err)) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  throw new Error('expected GB_DATA_DIR_LOCKED, nothing was thrown');
}

t.test('acquire writes pid, port and socket; a second owner is refused with the holder named; release frees it', async (t) => {
  const dir = t.testdir({});
  const lock = acquireDataDirLock(dir, { command: 'serve', socketPath: join(dir, 'gradebooth.sock') });
  const onDisk = JSON.parse(readFileSync(dataDirLockPath(dir), 'utf8')) as Record<string, unknown>;
  t.match(onDisk, { pid: process.pid, command: 'serve', port: null, socketPath: join(dir, 'gradebooth.sock'), hostname: hostname() });
  t.equal(onDisk.startTicks, processStartTicks(process.pid), 'the start time tells this process from a later one with the same pid');

  lock.update({ port: 8123 });
  t.match(readDataDirHolder(dir), { pid: process.pid, port: 8123, socketPath: join(dir, 'gradebooth.sock') }, 'the port is recorded once known');

  const refused = lockedError(() => acquireDataDirLock(dir, { command: 'scan' }));
  t.equal(refused.code, 'GB_DATA_DIR_LOCKED');
  t.match(refused.message, `pid ${process.pid}`);
  t.match(refused.message, 'port 8123');
  t.match(refused.details, { pid: process.pid, port: 8123, command: 'serve' });

  lock.release();
  t.notOk(existsSync(dataDirLockPath(dir)), 'the lock file is gone');
  t.equal(readDataDirHolder(dir), null);
  lock.release();
  t.pass('a second release is harmless');
  const again = acquireDataDirLock(dir, { command: 'scan' });
  t.match(readDataDirHolder(dir), { command: 'scan', port: null });
  again.release();
});

t.test('a lock left by a dead process is stale: not a holder, and taken over with a log line', async (t) => {
  const dir = t.testdir({});
  const pid = deadPid();
  writeFileSync(dataDirLockPath(dir), JSON.stringify({ pid, hostname: hostname(), command: 'serve', port: 8080, socketPath: null, startedAt: '2026-01-01T00:00:00.000Z' }));
  t.equal(readDataDirHolder(dir), null, 'a dead holder holds nothing');
  const lines: string[] = [];
  const lock = acquireDataDirLock(dir, { command: 'serve' }, (l) => lines.push(l));
  t.teardown(() => lock.release());
  t.equal(lines.length, 1);
  t.match(lines[0], new RegExp(`took over the stale data-directory lock of pid ${pid} \\(serve, port 8080`));
  t.match(readDataDirHolder(dir), { pid: process.pid });
});

t.test('a pid reused by another process (different start time) is not the holder', async (t) => {
  const dir = t.testdir({});
  const ticks = processStartTicks(process.pid)!;
  writeFileSync(dataDirLockPath(dir), JSON.stringify({ pid: process.pid, startTicks: ticks - 1, hostname: hostname(), command: 'serve', port: null, socketPath: null, startedAt: '' }));
  t.equal(readDataDirHolder(dir), null);
  const lock = acquireDataDirLock(dir, { command: 'scan' });
  lock.release();
});

t.test('an unreadable lock file is taken over, saying so', async (t) => {
  const dir = t.testdir({ 'daemon.lock': 'not json' });
  const lines: string[] = [];
  const lock = acquireDataDirLock(dir, { command: 'serve' }, (l) => lines.push(l));
  lock.release();
  t.match(lines, [/unreadable data-directory lock file \("not json"\)/]);
});

t.test('a live process of another program holding the lock is refused until it exits', async (t) => {
  const dir = t.testdir({});
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise((r) => holder.once('spawn', r));
  const pid = holder.pid!;
  writeFileSync(dataDirLockPath(dir), JSON.stringify({ pid, startTicks: processStartTicks(pid), hostname: hostname(), command: 'serve', port: 9999, socketPath: '/x.sock', startedAt: 'then' }));
  t.match(readDataDirHolder(dir), { pid, port: 9999, socketPath: '/x.sock' });
  t.match(lockedError(() => acquireDataDirLock(dir, { command: 'rig command' })), { code: 'GB_DATA_DIR_LOCKED', message: new RegExp(`pid ${pid} \\(serve, port 9999`) });
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const lock = acquireDataDirLock(dir, { command: 'rig command' });
  lock.release();
});

t.test('a process that exits without releasing removes its lock file on the way out', async (t) => {
  const dir = t.testdir({});
  const moduleUrl = new URL('../../src/storage/data-dir-lock.ts', import.meta.url).href;
  const script = `const { acquireDataDirLock } = await import(${JSON.stringify(moduleUrl)}); acquireDataDirLock(${JSON.stringify(dir)}, { command: 'scan' }); process.exit(3);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 3, r.stderr);
  t.notOk(existsSync(dataDirLockPath(dir)), 'released at exit');
});
