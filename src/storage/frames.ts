import type { Db } from './database.ts';

/** Whose frames these are: a scan or a calibration record (the frames table needs one of them). */
export type FrameOwner = { scanId: string; calibrationId?: undefined } | { calibrationId: string; scanId?: undefined };

/** A frame row to insert: the capture's figures and where its PNG is. */
export interface NewFrame {
  lightIndex: number;
  ledChannel: number | null;
  exposureUs: number;
  gainDb: number;
  width: number;
  height: number;
  pixelFormat: string;
  sha256: string;
  path: string;
  timestampUs: number;
  meta: Record<string, unknown>;
}

/** A stored frame as the API shows it. */
export interface FrameRecord extends Omit<NewFrame, 'meta'> {
  id: number;
  meta: Record<string, unknown> | null;
  createdAt: string;
}

interface FrameRow {
  id: number;
  light_index: number;
  led_channel: number | null;
  exposure_us: number;
  gain_db: number;
  width: number;
  height: number;
  pixel_format: string;
  sha256: string;
  path: string;
  timestamp_us: number | null;
  meta_json: string | null;
  created_at: string;
}

/** The `frames` table: one row per captured frame of a scan or a calibration. */
export class FrameRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** Insert frames (call inside the transaction that registers their blobs). */
  insertMany(owner: FrameOwner, frames: readonly NewFrame[], now = new Date()): void {
    const insert = this.db.prepare(
      `INSERT INTO frames (scan_id, calibration_id, light_index, led_channel, exposure_us, gain_db, width, height, pixel_format, sha256, path, timestamp_us, meta_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const at = now.toISOString();
    for (const f of frames) {
      insert.run(owner.scanId ?? null, owner.calibrationId ?? null, f.lightIndex, f.ledChannel, f.exposureUs, f.gainDb, f.width, f.height, f.pixelFormat, f.sha256, f.path, Math.round(f.timestampUs), JSON.stringify(f.meta), at);
    }
  }

  /** A scan's frames, dark (light −1) first. */
  forScan(scanId: string): FrameRecord[] {
    const rows = this.db.prepare('SELECT * FROM frames WHERE scan_id = ? ORDER BY light_index').all(scanId) as FrameRow[];
    return rows.map((r) => ({
      id: r.id,
      lightIndex: r.light_index,
      ledChannel: r.led_channel,
      exposureUs: r.exposure_us,
      gainDb: r.gain_db,
      width: r.width,
      height: r.height,
      pixelFormat: r.pixel_format,
      sha256: r.sha256,
      path: r.path,
      timestampUs: r.timestamp_us ?? 0,
      meta: r.meta_json === null ? null : (JSON.parse(r.meta_json) as Record<string, unknown>),
      createdAt: r.created_at,
    }));
  }
}
