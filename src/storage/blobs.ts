import type { Db } from './database.ts';

/** A file the store holds and the database knows: its sha256, size and media type. */
export interface BlobRecord {
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  createdAt: string;
}

interface BlobRow {
  sha256: string;
  size_bytes: number;
  media_type: string;
  created_at: string;
}

/**
 * The `blobs` table: one row per file in the content-addressed store. A row is written in the same
 * transaction as the rows that reference the file, after the file itself is durable.
 */
export class BlobRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** Register a stored file (no-op if known). Call inside the transaction of the rows that use it. */
  register(sha256: string, sizeBytes: number, mediaType: string, now = new Date()): void {
    this.db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)').run(sha256, sizeBytes, mediaType, now.toISOString());
  }

  get(sha256: string): BlobRecord | undefined {
    const r = this.db.prepare('SELECT * FROM blobs WHERE sha256 = ?').get(sha256) as BlobRow | undefined;
    return r ? { sha256: r.sha256, sizeBytes: r.size_bytes, mediaType: r.media_type, createdAt: r.created_at } : undefined;
  }

  has(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM blobs WHERE sha256 = ?').pluck().get(sha256) === 1;
  }

  /** Every registered sha256 (for consistency checks of store and database). */
  allSha256(): string[] {
    return this.db.prepare('SELECT sha256 FROM blobs ORDER BY sha256').pluck().all() as string[];
  }
}
