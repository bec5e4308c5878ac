import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/*
 * Atomic writes: the new content is written under a temporary name on the same filesystem and renamed over the
 * final name, so a reader, or a process killed at any point, sees the old file or the whole new one, never a part.
 *
 * That holds for a power cut only when the writer pays two fsyncs (`durable`): of the data before the rename
 * (with delayed allocation the rename can reach the disk before the bytes do, leaving an empty or torn file
 * under the final name) and of the folder after it (else the rename itself may be lost and the old file come
 * back). Callers pay them where the file is the only copy of something the booth relies on — a stored frame,
 * an installed model its database may already call active — and skip them where a torn file is detected and
 * made again anyway (a model chunk is checked against its signed sha256 on resume; an export is rerun).
 */

export interface AtomicWriteOptions {
  /** Survive a power cut, not only a crash: fsync the data before the rename and the folder after it. */
  durable: boolean;
  /** Permission bits of the new file (default 0o644, less the umask). */
  mode?: number;
  /** Where the temporary file goes: the same filesystem as `path` (default: beside it); a folder a startup sweep empties. */
  tmpDir?: string;
}

/** Write `bytes` to `path` atomically (see above). On failure the temporary file goes and the old file stays. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, o: AtomicWriteOptions): Promise<void> {
  const tmp = join(o.tmpDir ?? dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', o.mode ?? 0o644);
    try {
      await fh.writeFile(bytes);
      if (o.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    // A partial temporary file (the disk filled up mid-write) must not stay behind taking space.
    await rm(tmp, { force: true });
    throw err;
  }
  if (o.durable) await fsyncPath(dirname(path));
}

/**
 * Make the folder `target` atomically: `fill` writes into the fresh folder `tmp` (same filesystem, a name the
 * owner's startup sweep recognises), which is then renamed to `target`, so a folder by that name is always whole.
 * `replace`: an existing target is removed first; otherwise the rename fails on a non-empty one. Durable: every
 * file in it and the folder itself fsynced before the rename, the parent after. On failure `tmp` goes.
 */
export async function writeFolderAtomic(target: string, tmp: string, fill: (dir: string) => Promise<void>, o: { durable: boolean; replace: boolean }): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    if (o.durable) await fsyncTree(tmp);
    await mkdir(dirname(target), { recursive: true });
    if (o.replace) await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (o.durable) await fsyncPath(dirname(target));
}

/** fsync a file or a folder (a folder's fsync makes the names in it, renames included, durable). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await fsyncTree(join(dir, e.name));
    else if (e.isFile()) await fsyncPath(join(dir, e.name));
  }
  await fsyncPath(dir);
}
