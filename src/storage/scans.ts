import type { Db } from './database.ts';
import { createError } from '../core/errors.ts';

export type CardSide = 'front' | 'back';

/** The maps a finished scan side has, by sha256. */
export interface ScanMaps {
  normals: string;
  albedo: string;
  depth: string;
}

/** A scan row with the calibration records it used. */
export interface ScanRecord {
  id: string;
  jobId: string;
  cardId: number | null;
  side: CardSide;
  /** Calibration record id per procedure (dark, flat, lights, scale). */
  calibrations: Record<string, string>;
  maps: ScanMaps | null;
  summary: Record<string, unknown> | null;
  createdAt: string;
}

interface ScanRow {
  id: string;
  job_id: string;
  card_id: number | null;
  side: CardSide;
  normals_sha256: string | null;
  albedo_sha256: string | null;
  depth_sha256: string | null;
  summary_json: string | null;
  created_at: string;
}

/** The `scans` table (one row per captured side) and `scan_calibrations` (the records each used). */
export class ScanRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** The scan row and its calibration links; call inside the transaction that stores its frames. */
  create(scan: { id: string; jobId: string; cardId: number; side: CardSide; calibrations: Record<string, string> }, now = new Date()): void {
    this.db.prepare('INSERT INTO scans (id, job_id, card_id, side, created_at) VALUES (?, ?, ?, ?, ?)').run(scan.id, scan.jobId, scan.cardId, scan.side, now.toISOString());
    const link = this.db.prepare('INSERT INTO scan_calibrations (scan_id, procedure, calibration_id) VALUES (?, ?, ?)');
    for (const [procedure, id] of Object.entries(scan.calibrations)) link.run(scan.id, procedure, id);
  }

  /** Attach the maps and summary (call inside the transaction that registers the maps' blobs). */
  complete(id: string, maps: ScanMaps, summary: Record<string, unknown>): void {
    const changed = this.db.prepare('UPDATE scans SET normals_sha256 = ?, albedo_sha256 = ?, depth_sha256 = ?, summary_json = ? WHERE id = ?').run(maps.normals, maps.albedo, maps.depth, JSON.stringify(summary), id).changes;
    if (changed !== 1) throw createError('GB_NOT_FOUND', `no scan ${id} to complete`);
  }

  get(id: string): ScanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM scans WHERE id = ?').get(id) as ScanRow | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  require(id: string): ScanRecord {
    const scan = this.get(id);
    if (!scan) throw createError('GB_NOT_FOUND', `no scan with id ${id}`);
    return scan;
  }

  /** A card's scans, oldest first. */
  forCard(cardId: number): ScanRecord[] {
    return (this.db.prepare('SELECT * FROM scans WHERE card_id = ? ORDER BY created_at, id').all(cardId) as ScanRow[]).map((r) => this.toRecord(r));
  }

  /** The scans a job made, oldest first. */
  forJob(jobId: string): ScanRecord[] {
    return (this.db.prepare('SELECT * FROM scans WHERE job_id = ? ORDER BY created_at, id').all(jobId) as ScanRow[]).map((r) => this.toRecord(r));
  }

  private toRecord(r: ScanRow): ScanRecord {
    const links = this.db.prepare('SELECT procedure, calibration_id FROM scan_calibrations WHERE scan_id = ? ORDER BY procedure').all(r.id) as Array<{ procedure: string; calibration_id: string }>;
    const maps = r.normals_sha256 && r.albedo_sha256 && r.depth_sha256 ? { normals: r.normals_sha256, albedo: r.albedo_sha256, depth: r.depth_sha256 } : null;
    return {
      id: r.id,
      jobId: r.job_id,
      cardId: r.card_id,
      side: r.side,
      calibrations: Object.fromEntries(links.map((l) => [l.procedure, l.calibration_id])),
      maps,
      summary: r.summary_json === null ? null : (JSON.parse(r.summary_json) as Record<string, unknown>),
      createdAt: r.created_at,
    };
  }
}
