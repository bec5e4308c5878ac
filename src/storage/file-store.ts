import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, statfs, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { diskFullError, isDiskFullError } from './disk-space.ts';
import { createError } from '../core/errors.ts';

const SHA256_RE = /^[0-9a-f]{64}$/;

/** sha256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Content-addressed file store under `<root>/ab/cdef…` (first two hex digits as a fan-out folder).
 * Writes are atomic and durable: temporary file in the same filesystem, fsync, rename, fsync of the
 * folder, so after a power cut a file is either whole or absent. Reads verify the hash, so bit rot or a
 * half-copied backup is reported instead of graded.
 */
export class FileStore {
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
  }

  /** Create the folders and remove temporary files a crash may have left behind. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) await rm(join(this.tmpDir, name), { force: true });
  }

  /** Path of a stored file (whether or not it exists). */
  pathOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw createError('GB_BAD_REQUEST', `expected a lower-case hex sha256, got "${sha256}"`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2));
  }

  /** Store bytes; returns their sha256 and path. Storing the same bytes twice is a no-op. */
  async put(bytes: Uint8Array): Promise<{ sha256: string; path: string; sizeBytes: number }> {
    const sha256 = sha256Hex(bytes);
    const path = this.pathOf(sha256);
    if (await this.has(sha256)) return { sha256, path, sizeBytes: bytes.byteLength };
    const dir = join(this.root, sha256.slice(0, 2));
    await mkdir(dir, { recursive: true });
    try {
      // Durable: a stored frame or map is the only copy of what the booth measured.
      await writeFileAtomic(path, bytes, { durable: true, mode: 0o640, tmpDir: this.tmpDir });
    } catch (err) {
      if (isDiskFullError(err)) throw diskFullError(dirname(this.root), { cause: err, needBytes: bytes.byteLength, what: 'the file being stored' });
      throw err;
    }
    return { sha256, path, sizeBytes: bytes.byteLength };
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /** Read a stored file and verify its hash; GB_STORE_MISSING or GB_STORE_CORRUPT otherwise. */
  async get(sha256: string): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw createError('GB_STORE_MISSING', `no stored file ${sha256}`);
      throw err;
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw createError('GB_STORE_CORRUPT', `stored file ${sha256} hashes to ${actual}; it was damaged after writing`, { expected: sha256, actual });
    }
    return bytes;
  }

  /** Remove a stored file (retention); absent files are fine. */
  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /**
   * Refuse work that would fill the disk: GB_DISK_FULL (naming the data directory, the free and the
   * needed space) when less than `needBytes` is free.
   */
  async assertSpaceFor(needBytes: number, what: string): Promise<void> {
    const { freeBytes } = await this.diskSpace();
    if (freeBytes < needBytes) throw diskFullError(dirname(this.root), { needBytes, what });
  }

  /** Free and total bytes of the filesystem holding the store. */
  async diskSpace(): Promise<{ freeBytes: number; totalBytes: number }> {
    const s = await statfs(this.root);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  }
}
