import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createError, type GradeboothError } from '../core/errors.ts';
import { currentProcessIdentity, isProcessAlive } from '../core/process-identity.ts';

// One process owns a data directory's hardware (rig, camera, scanner) at a time: the daemon, or a CLI
// command that drives the booth itself. It says so in DATA_DIR/daemon.lock. The file is created
// complete and atomically (written aside, then hard-linked to its name, which fails if it exists), so a
// reader never sees half a lock. A lock whose process is gone (crash, kill -9, power loss) is stale and
// the next owner takes it over, saying so in its log.

/** Name of the lock file inside the data directory. */
export const DATA_DIR_LOCK_FILE = 'daemon.lock';

/** Who holds a data directory: enough to name it in an error and to reach a daemon. */
export interface DataDirHolder {
  pid: number;
  /** /proc start time of the process (clock ticks), so a reused pid is not mistaken for the holder. */
  startTicks?: number;
  hostname: string;
  /** The command that holds it (`serve`, `scan`, `calibrate run`, `rig status`, …). */
  command: string;
  /** HTTP port of a daemon once it listens; null for a CLI command (or a daemon still starting). */
  port: number | null;
  /** The daemon's local control socket; null for a CLI command. */
  socketPath: string | null;
  startedAt: string;
}

/** Path of the lock file of a data directory. */
export function dataDirLockPath(dataDir: string): string {
  return join(dataDir, DATA_DIR_LOCK_FILE);
}

interface LockFileContents {
  text: string;
  holder: DataDirHolder | undefined;
}

function readLockFile(path: string): LockFileContents | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<DataDirHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.command !== 'string') return { text, holder: undefined };
    return {
      text,
      holder: {
        pid: parsed.pid,
        ...(typeof parsed.startTicks === 'number' ? { startTicks: parsed.startTicks } : {}),
        hostname: typeof parsed.hostname === 'string' ? parsed.hostname : hostname(),
        command: parsed.command,
        port: typeof parsed.port === 'number' ? parsed.port : null,
        socketPath: typeof parsed.socketPath === 'string' ? parsed.socketPath : null,
        startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : '',
      },
    };
  } catch {
    return { text, holder: undefined };
  }
}

/** A holder on this machine whose process is gone; one on another machine cannot be checked, so it counts as alive. */
function isLive(holder: DataDirHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  return isProcessAlive(holder.pid, holder.startTicks);
}

/**
 * The live holder of a data directory's hardware, or null when none (no lock, or a stale one). A CLI
 * hardware command calls this first: a daemon holder can take the work (port, socketPath); any holder
 * means the command must not open the hardware itself.
 */
export function readDataDirHolder(dataDir: string): DataDirHolder | null {
  const found = readLockFile(dataDirLockPath(dataDir));
  if (!found?.holder) return null;
  return isLive(found.holder) ? found.holder : null;
}

/** Describe a holder for an error or log line: `pid 1234 (serve, port 8080)`. */
export function describeHolder(holder: DataDirHolder): string {
  const where = holder.hostname === hostname() ? '' : ` on ${holder.hostname}`;
  const port = holder.port === null ? '' : `, port ${holder.port}`;
  return `pid ${holder.pid}${where} (${holder.command}${port}, since ${holder.startedAt})`;
}

/** GB_DATA_DIR_LOCKED naming the holder (pid, port) in the message and the details. */
export function dataDirLockedError(dataDir: string, holder: DataDirHolder): GradeboothError {
  const hint = holder.command === 'serve' ? 'stop that daemon first, or use another --data-dir' : 'wait for that command to finish, or use another --data-dir';
  return createError('GB_DATA_DIR_LOCKED', `data directory ${dataDir} is held by ${describeHolder(holder)}; ${hint}`, {
    dataDir,
    pid: holder.pid,
    port: holder.port,
    socketPath: holder.socketPath,
    command: holder.command,
  });
}

/** Refuse (GB_DATA_DIR_LOCKED) when a live process holds the data directory. */
export function assertDataDirFree(dataDir: string): void {
  const holder = readDataDirHolder(dataDir);
  if (holder) throw dataDirLockedError(dataDir, holder);
}

/** A held data-directory lock; release() gives it up (also done at process exit). */
export class DataDirLock {
  readonly dataDir: string;
  readonly path: string;
  private current: DataDirHolder;
  private held = true;
  private readonly onExit = (): void => this.release();

  constructor(dataDir: string, holder: DataDirHolder) {
    this.dataDir = dataDir;
    this.path = dataDirLockPath(dataDir);
    this.current = holder;
  }

  get holder(): DataDirHolder {
    return this.current;
  }

  /** @internal called once the lock file exists. */
  armExitRelease(): void {
    process.once('exit', this.onExit);
  }

  /** Record what changed (e.g. the port once the daemon listens); the file is replaced atomically. */
  update(fields: Partial<Pick<DataDirHolder, 'port' | 'socketPath'>>): void {
    if (!this.held || !this.stillOurs()) return;
    this.current = { ...this.current, ...fields };
    const aside = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(aside, `${JSON.stringify(this.current)}\n`, { mode: 0o644 });
    renameSync(aside, this.path);
  }

  /** Remove the lock file if it is still ours. Safe to call twice. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.onExit);
    if (this.stillOurs()) unlinkSync(this.path);
  }

  private stillOurs(): boolean {
    const found = readLockFile(this.path);
    return found?.holder?.pid === this.current.pid && found.holder.startTicks === this.current.startTicks && found.holder.startedAt === this.current.startedAt;
  }
}

/**
 * Take the data directory's hardware for this process, or throw GB_DATA_DIR_LOCKED naming the live
 * holder. A stale lock (its process is gone) is taken over; `log` hears about it.
 */
export function acquireDataDirLock(
  dataDir: string,
  who: { command: string; port?: number | null; socketPath?: string | null },
  log: (message: string) => void = () => undefined,
): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = dataDirLockPath(dataDir);
  const self = currentProcessIdentity();
  const holder: DataDirHolder = {
    pid: self.pid,
    ...(self.startTicks !== undefined ? { startTicks: self.startTicks } : {}),
    hostname: hostname(),
    command: who.command,
    port: who.port ?? null,
    socketPath: who.socketPath ?? null,
    startedAt: new Date().toISOString(),
  };
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(aside, path);
        const lock = new DataDirLock(dataDir, holder);
        lock.armExitRelease();
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const existing = readLockFile(path);
      if (!existing) continue; // released between our link and our read: try again
      if (existing.holder && isLive(existing.holder)) throw dataDirLockedError(dataDir, existing.holder);
      removeStaleLock(path, existing);
      log(
        existing.holder
          ? `took over the stale data-directory lock of ${describeHolder(existing.holder)}: that process is gone`
          : `took over an unreadable data-directory lock file (${JSON.stringify(existing.text.slice(0, 80))})`,
      );
    }
    throw createError('GB_DATA_DIR_LOCKED', `data directory ${dataDir}: the lock file ${path} keeps changing; another process is starting on it`, { dataDir });
  } finally {
    unlinkSync(aside);
  }
}

/**
 * Remove a stale lock without removing a fresh one another process just created: move it aside (atomic),
 * then check that what was moved is the stale file that was read; if not, put it back.
 */
function removeStaleLock(path: string, stale: LockFileContents): void {
  const moved = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, moved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const text = readFileSync(moved, 'utf8');
  if (text !== stale.text) {
    try {
      linkSync(moved, path);
    } catch {
      // Someone created a newer lock meanwhile; theirs stands.
    }
  }
  unlinkSync(moved);
}
