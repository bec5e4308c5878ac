import type { Db } from './database.ts';

/** Where a dataset's transfer stands (see migration 0007). */
export type DatasetState = 'offered' | 'uploading' | 'complete';
export type ChunkState = 'waiting' | 'needed' | 'queued' | 'sent' | 'held';

export interface DatasetRecord {
  id: string;
  scanId: string;
  totalBytes: number;
  state: DatasetState;
  offers: number;
  requestedBy: string;
  createdAt: string;
  offeredAt: string;
  progressAt: string;
  completedAt: string | null;
  /** Chunks per state. */
  chunks: Record<ChunkState, number>;
  /** Bytes the fleet holds (held) or the broker acknowledged (sent). */
  bytesDone: number;
}

export interface DatasetChunkRow {
  datasetId: string;
  seq: number;
  sha256: string;
  fileSha256: string;
  offsetBytes: number;
  sizeBytes: number;
  state: ChunkState;
}

interface Row {
  id: string;
  scan_id: string;
  total_bytes: number;
  state: DatasetState;
  offers: number;
  requested_by: string;
  created_at: string;
  offered_at: string;
  progress_at: string;
  completed_at: string | null;
}

const chunkColumns = 'dataset_id AS datasetId, seq, sha256, file_sha256 AS fileSha256, offset_bytes AS offsetBytes, size_bytes AS sizeBytes, state';

/** The `datasets` and `dataset_chunks` tables: offered datasets and each chunk's transfer state. */
export class DatasetRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Record an offered dataset and its chunks (no-op when this id is known: the same scan and labels).
   * Call inside the transaction that queues its manifest. Returns whether it was new.
   */
  insert(d: { id: string; scanId: string; manifest: Buffer; totalBytes: number; requestedBy: string; chunks: ReadonlyArray<{ sha256: string; fileSha256: string; offsetBytes: number; sizeBytes: number }> }, now = new Date()): boolean {
    const at = now.toISOString();
    const r = this.db
      .prepare(
        `INSERT INTO datasets (id, scan_id, manifest, total_bytes, state, requested_by, created_at, offered_at, progress_at)
         VALUES (?, ?, ?, ?, 'offered', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(d.id, d.scanId, d.manifest, d.totalBytes, d.requestedBy, at, at, at);
    if (r.changes === 0) return false;
    const chunk = this.db.prepare('INSERT INTO dataset_chunks (dataset_id, seq, sha256, file_sha256, offset_bytes, size_bytes) VALUES (?, ?, ?, ?, ?, ?)');
    d.chunks.forEach((c, seq) => chunk.run(d.id, seq, c.sha256, c.fileSha256, c.offsetBytes, c.sizeBytes));
    return true;
  }

  manifest(id: string): Buffer | undefined {
    return this.db.prepare('SELECT manifest FROM datasets WHERE id = ?').pluck().get(id) as Buffer | undefined;
  }

  get(id: string): DatasetRecord | undefined {
    const r = this.db.prepare('SELECT id, scan_id, total_bytes, state, offers, requested_by, created_at, offered_at, progress_at, completed_at FROM datasets WHERE id = ?').get(id) as Row | undefined;
    return r ? this.toRecord(r) : undefined;
  }

  /** Newest first; optionally one scan's. */
  list(options: { scanId?: string; limit?: number } = {}): DatasetRecord[] {
    const rows = (options.scanId === undefined
      ? this.db.prepare('SELECT id, scan_id, total_bytes, state, offers, requested_by, created_at, offered_at, progress_at, completed_at FROM datasets ORDER BY created_at DESC, rowid DESC LIMIT ?').all(options.limit ?? 100)
      : this.db.prepare('SELECT id, scan_id, total_bytes, state, offers, requested_by, created_at, offered_at, progress_at, completed_at FROM datasets WHERE scan_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(options.scanId, options.limit ?? 100)) as Row[];
    return rows.map((r) => this.toRecord(r));
  }

  private toRecord(r: Row): DatasetRecord {
    const chunks: Record<ChunkState, number> = { waiting: 0, needed: 0, queued: 0, sent: 0, held: 0 };
    const per = this.db.prepare('SELECT state, count(*) AS n FROM dataset_chunks WHERE dataset_id = ? GROUP BY state').all(r.id) as Array<{ state: ChunkState; n: number }>;
    for (const p of per) chunks[p.state] = p.n;
    const bytesDone = this.db.prepare("SELECT coalesce(sum(size_bytes), 0) FROM dataset_chunks WHERE dataset_id = ? AND state IN ('sent', 'held')").pluck().get(r.id) as number;
    return {
      id: r.id, scanId: r.scan_id, totalBytes: r.total_bytes, state: r.state, offers: r.offers, requestedBy: r.requested_by,
      createdAt: r.created_at, offeredAt: r.offered_at, progressAt: r.progress_at, completedAt: r.completed_at, chunks, bytesDone,
    };
  }

  /**
   * Apply the fleet's answer: listed chunks are needed (unless already queued: they are on their way),
   * every other chunk is held by the fleet. `complete` ends the transfer. Returns false for an unknown id.
   */
  applyNeed(id: string, missing: readonly string[], complete: boolean, now = new Date()): boolean {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const known = this.db.prepare('SELECT state FROM datasets WHERE id = ?').pluck().get(id) as DatasetState | undefined;
      if (known === undefined) return false;
      if (complete) {
        this.db.prepare("UPDATE dataset_chunks SET state = 'held' WHERE dataset_id = ?").run(id);
        this.db.prepare("UPDATE datasets SET state = 'complete', completed_at = coalesce(completed_at, ?), progress_at = ? WHERE id = ?").run(at, at, id);
        return true;
      }
      if (known === 'complete') return true; // a stale answer after completion
      // A chunk already sent stays sent: this answer may be to an earlier offer, computed before the chunk
      // arrived. Chunks the fleet still lacks after they were sent are settled by a re-offer (reoffered()).
      const need = new Set(missing);
      const rows = this.db.prepare('SELECT seq, sha256, state FROM dataset_chunks WHERE dataset_id = ?').all(id) as Array<{ seq: number; sha256: string; state: ChunkState }>;
      const set = this.db.prepare('UPDATE dataset_chunks SET state = ? WHERE dataset_id = ? AND seq = ?');
      for (const r of rows) {
        const next: ChunkState = need.has(r.sha256) ? (r.state === 'waiting' || r.state === 'held' ? 'needed' : r.state) : 'held';
        if (next !== r.state) set.run(next, id, r.seq);
      }
      this.db.prepare("UPDATE datasets SET state = 'uploading', progress_at = ? WHERE id = ?").run(at, id);
      return true;
    })();
  }

  /**
   * Manifests that left the outbox (the broker acknowledged them): the wait for the fleet's answer starts
   * now, not when the offer was queued (an offline booth's offer may wait in the outbox for hours).
   */
  markOffersSent(now = new Date()): number {
    return this.db
      .prepare(
        `UPDATE datasets SET manifest_queued = 0, progress_at = ? WHERE manifest_queued = 1
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.topic = 'datasets/' || datasets.id || '/manifest')`,
      )
      .run(now.toISOString()).changes;
  }

  /** Chunks queued in the outbox whose row is gone (the broker acknowledged it) become sent. */
  markAcknowledged(messageIdOf: (sha256: string) => string, now = new Date()): number {
    const queued = this.db.prepare("SELECT DISTINCT sha256 FROM dataset_chunks WHERE state = 'queued'").pluck().all() as string[];
    const inOutbox = this.db.prepare('SELECT 1 FROM outbox WHERE message_id = ?').pluck();
    let n = 0;
    const at = now.toISOString();
    this.db.transaction(() => {
      for (const sha of queued) {
        if (inOutbox.get(messageIdOf(sha)) === 1) continue;
        const ids = this.db.prepare("SELECT DISTINCT dataset_id FROM dataset_chunks WHERE sha256 = ? AND state = 'queued'").pluck().all(sha) as string[];
        n += this.db.prepare("UPDATE dataset_chunks SET state = 'sent' WHERE sha256 = ? AND state = 'queued'").run(sha).changes;
        for (const id of ids) this.db.prepare('UPDATE datasets SET progress_at = ? WHERE id = ?').run(at, id);
      }
    })();
    return n;
  }

  /** Bytes of distinct chunks queued and not yet acknowledged (the send window in use). */
  queuedBytes(): number {
    return this.db.prepare("SELECT coalesce(sum(size_bytes), 0) FROM (SELECT sha256, max(size_bytes) AS size_bytes FROM dataset_chunks WHERE state = 'queued' GROUP BY sha256)").pluck().get() as number;
  }

  /** The next needed chunk, oldest dataset first, in manifest order. */
  nextNeeded(): DatasetChunkRow | undefined {
    return this.db
      .prepare(`SELECT ${chunkColumns.split(', ').map((c) => `dc.${c}`).join(', ')} FROM dataset_chunks dc JOIN datasets d ON d.id = dc.dataset_id WHERE dc.state = 'needed' ORDER BY d.created_at, d.rowid, dc.seq LIMIT 1`)
      .get() as DatasetChunkRow | undefined;
  }

  /** Every needed row carrying these bytes (in any dataset) is now queued. Call in the enqueue's transaction. */
  markQueued(sha256: string): number {
    return this.db.prepare("UPDATE dataset_chunks SET state = 'queued' WHERE sha256 = ? AND state = 'needed'").run(sha256).changes;
  }

  /**
   * Datasets to offer again: not complete, nothing needed or queued, and no progress for `idleS` — the
   * fleet's answer was lost (a broker restart without persistence), or every needed chunk went out and
   * the fleet has not confirmed. An offer still waiting in the outbox (the booth is offline) is not made
   * twice (markOffersSent starts the clock). Oldest first.
   */
  dueForReoffer(idleS: number, now = new Date()): string[] {
    const before = new Date(now.getTime() - idleS * 1000).toISOString();
    return this.db
      .prepare(
        `SELECT d.id FROM datasets d WHERE d.state <> 'complete' AND d.progress_at <= ? AND d.manifest_queued = 0
         AND NOT EXISTS (SELECT 1 FROM dataset_chunks c WHERE c.dataset_id = d.id AND c.state IN ('needed', 'queued'))
         ORDER BY d.created_at, d.rowid`,
      )
      .pluck()
      .all(before) as string[];
  }

  /**
   * Count one more offer (the manifest queued again). Chunks sent earlier go back to waiting: the fleet's
   * answer to this offer says which of them it still lacks.
   */
  reoffered(id: string, now = new Date()): number {
    const at = now.toISOString();
    this.db.prepare('UPDATE datasets SET offers = offers + 1, offered_at = ?, progress_at = ?, manifest_queued = 1 WHERE id = ?').run(at, at, id);
    this.db.prepare("UPDATE dataset_chunks SET state = 'waiting' WHERE dataset_id = ? AND state = 'sent'").run(id);
    return this.db.prepare('SELECT offers FROM datasets WHERE id = ?').pluck().get(id) as number;
  }

  /**
   * Scans offered before whose labels changed since: an operator overrode their grade after their latest dataset
   * was made (overrides made since `sinceIso`). Offered again, they are a new dataset (the same chunks).
   */
  scansWithNewOverrides(sinceIso: string, limit = 100): string[] {
    return this.db
      .prepare(
        `SELECT s.id FROM scans s
         JOIN (SELECT scan_id, max(created_at) AS offered FROM datasets GROUP BY scan_id) d ON d.scan_id = s.id
         WHERE s.normals_sha256 IS NOT NULL
           AND EXISTS (SELECT 1 FROM grades g JOIN grade_overrides o ON o.grade_id = g.id
                       WHERE g.job_id = s.job_id AND o.created_at >= ? AND o.created_at > d.offered)
         ORDER BY s.created_at LIMIT ?`,
      )
      .pluck()
      .all(sinceIso, limit) as string[];
  }

  /** Scans that finished (have maps) since `sinceIso` and have no dataset yet, oldest first. */
  scansWithoutDataset(sinceIso: string, limit = 100): string[] {
    return this.db
      .prepare(
        `SELECT s.id FROM scans s WHERE s.normals_sha256 IS NOT NULL AND s.created_at >= ?
         AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.scan_id = s.id) ORDER BY s.created_at LIMIT ?`,
      )
      .pluck()
      .all(sinceIso, limit) as string[];
  }
}
