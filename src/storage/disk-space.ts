import { closeSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { GradeboothError, isGradeboothError } from '../core/errors.ts';

// A full disk must be reported as what it is (GB_DISK_FULL, which directory, how much is free), never as
// a raw ENOSPC or SqliteError, and must not strand a job: the write that records the failure needs a
// little space itself, so the daemon keeps a small reserve file it gives up to make that write.

/** Free bytes (for this user) of the filesystem holding `dir`; undefined when it cannot be read. */
export function freeBytesOf(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Whether `err` means the disk (or the user's quota, or the file-size limit) is full. */
export function isDiskFullError(err: unknown): boolean {
  // Followed through `cause`: a stage may wrap the write's error in its own.
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === 'GB_DISK_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG' || code === 'SQLITE_FULL') return true;
  }
  return false;
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

/**
 * GB_DISK_FULL naming the data directory and its free space; `needBytes` says what the refused work
 * needed. `cause` keeps the original error for the log.
 */
export function diskFullError(dataDir: string, options: { cause?: unknown; needBytes?: number; what?: string } = {}): GradeboothError {
  for (let e = options.cause, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGradeboothError(e) && e.code === 'GB_DISK_FULL') return e;
  }
  const free = freeBytesOf(dataDir);
  const freeText = free === undefined ? 'free space unknown' : `${mib(free)} free`;
  const need = options.needBytes === undefined ? '' : `, ${options.what ?? 'this'} needs about ${mib(options.needBytes)}`;
  return new GradeboothError('GB_DISK_FULL', `the disk holding the data directory ${dataDir} is full (${freeText}${need}): free space there (old scans, other files) and try again`, {
    cause: options.cause,
    details: { dataDir, freeBytes: free ?? null, ...(options.needBytes === undefined ? {} : { needBytes: options.needBytes }) },
  });
}

/** A file of `bytes` zeros kept on the data disk, given up so that the write recording a failure fits. */
export class SpaceReserve {
  readonly path: string;
  readonly bytes: number;

  constructor(path: string, bytes: number) {
    this.path = path;
    this.bytes = bytes;
  }

  /** Create the reserve if it is missing and the disk has room for it with as much again to spare. Returns whether it exists. */
  ensure(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx', 0o600);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EEXIST';
    }
    try {
      const free = freeBytesOf(this.path.replace(/\/[^/]*$/, '') || '/');
      if (free !== undefined && free < 2 * this.bytes) throw Object.assign(new Error('too little space for the reserve'), { code: 'ENOSPC' });
      const chunk = Buffer.alloc(Math.min(this.bytes, 1 << 20));
      for (let written = 0; written < this.bytes; ) written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      fsyncSync(fd);
      closeSync(fd);
      return true;
    } catch {
      closeSync(fd);
      rmSync(this.path, { force: true });
      return false;
    }
  }

  /** Delete the reserve; returns whether there was one to give up. */
  release(): boolean {
    try {
      rmSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Run `write`; when it fails because the disk is full, give up the reserve (if there is one) and run it
 * once more. For the few writes that must happen on a full disk: marking a job failed.
 */
export async function withSpaceReserve<T>(reserve: SpaceReserve | undefined, write: () => T | Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isDiskFullError(err) || !reserve?.release()) throw err;
    return await write();
  }
}
