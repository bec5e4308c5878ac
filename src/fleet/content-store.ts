import { FileStore, sha256Hex } from '../storage/file-store.ts';
import { createError } from '../core/errors.ts';

/**
 * Where the fleet keeps dataset chunks: content-addressed by sha256, so a chunk sent by many booths or
 * datasets is stored once. An interface because one disk is the limit of the filesystem store: a fleet that
 * outgrows it puts an S3-compatible object store behind the same four calls (key = the sha256, PUT with
 * `If-None-Match: *`, HEAD for has) — see docs/fleet.md.
 */
export interface ContentStore {
  /** Where it is, for logs and the CLI. */
  readonly location: string;
  has(sha256: string): Promise<boolean>;
  /** Store bytes under their sha256; GB_VALIDATION when they do not hash to it. Idempotent. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, verified; GB_STORE_MISSING or GB_STORE_CORRUPT otherwise. */
  get(sha256: string): Promise<Buffer>;
}

/** The filesystem store: the booth's FileStore layout (`ab/cdef…`, atomic durable writes, verified reads). */
export class FilesystemContentStore implements ContentStore {
  readonly location: string;
  private readonly files: FileStore;

  private constructor(root: string) {
    this.location = root;
    this.files = new FileStore(root);
  }

  static async open(root: string): Promise<FilesystemContentStore> {
    const s = new FilesystemContentStore(root);
    await s.files.init();
    return s;
  }

  has(sha256: string): Promise<boolean> {
    return this.files.has(sha256);
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw createError('GB_VALIDATION', `chunk ${sha256}: its ${bytes.byteLength} bytes hash to ${actual}`);
    await this.files.put(bytes);
  }

  get(sha256: string): Promise<Buffer> {
    return this.files.get(sha256);
  }
}
