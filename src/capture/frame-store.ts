import type { Db } from '../storage/database.ts';
import { sha256Hex, type FileStore } from '../storage/file-store.ts';
import { encodePng } from '../imaging/png.ts';
import type { CapturedFrame, SideCapture } from './sequencer.ts';

/** Whose frames these are: a scan or a calibration record (the frames table needs one of them). */
export type FrameOwner = { scanId: string; calibrationId?: undefined } | { calibrationId: string; scanId?: undefined };

/** One stored frame: where its PNG is. */
export interface StoredFrame {
  lightIndex: number;
  ledChannel: number | null;
  sha256: string;
  path: string;
  sizeBytes: number;
}

/** Encode one frame as a 16-bit grey PNG (Mono8 frames are widened so every frame has one format). */
export async function encodeFramePng(frame: CapturedFrame): Promise<Buffer> {
  return encodePng({ width: frame.width, height: frame.height, channels: 1, bitDepth: 16, data: frame.data });
}

/**
 * Store a captured side: every frame (dark first) as a 16-bit PNG in the content-addressed store, then in
 * ONE transaction the blobs and frames rows, plus whatever `inTransaction` adds (e.g. the scan row the
 * frames point at). If anything fails, the transaction rolls back and the files this call created are
 * deleted again (files that were already in the store stay: other rows may use them).
 */
export async function storeSideCapture(db: Db, store: FileStore, capture: SideCapture, owner: FrameOwner, inTransaction?: (db: Db) => void): Promise<StoredFrame[]> {
  const all = [capture.dark, ...capture.frames];
  const created: string[] = [];
  const stored: StoredFrame[] = [];
  try {
    // sharp encodes on libuv's thread pool: a few frames in flight at once use the cores (PNG deflate is
    // the slow part), while the store writes (each fsynced) follow in order.
    const concurrency = 4;
    for (let at = 0; at < all.length; at += concurrency) {
      const batch = all.slice(at, at + concurrency);
      const encoded = await Promise.all(batch.map((f) => encodeFramePng(f)));
      for (let j = 0; j < batch.length; j++) {
        const bytes = encoded[j];
        const existed = await store.has(sha256Hex(bytes));
        const put = await store.put(bytes);
        if (!existed) created.push(put.sha256);
        stored.push({ lightIndex: batch[j].lightIndex, ledChannel: batch[j].ledChannel, sha256: put.sha256, path: put.path, sizeBytes: put.sizeBytes });
      }
    }
    const now = new Date().toISOString();
    const insertBlob = db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)');
    const insertFrame = db.prepare(
      `INSERT INTO frames (scan_id, calibration_id, light_index, led_channel, exposure_us, gain_db, width, height, pixel_format, sha256, path, timestamp_us, meta_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      inTransaction?.(db);
      all.forEach((f, i) => {
        const s = stored[i];
        insertBlob.run(s.sha256, s.sizeBytes, 'image/png', now);
        const meta = { level: f.level, firmwareTriggerUs: f.firmwareTriggerUs, latenessUs: f.latenessUs, onUs: f.onUs, frameId: f.frameId, exposure: f.exposure ?? null };
        insertFrame.run(owner.scanId ?? null, owner.calibrationId ?? null, f.lightIndex, f.ledChannel, f.exposureUs, 20 * Math.log10(f.gain), f.width, f.height, f.pixelFormat, s.sha256, relativeStorePath(s.sha256), Math.round(f.timestampUs), JSON.stringify(meta), now);
      });
    }).immediate();
  } catch (err) {
    for (const sha of created) await store.delete(sha).catch(() => undefined);
    throw err;
  }
  return stored;
}

/** Store-relative path of a blob (`ab/cdef…`), as kept in rows so the data directory can move. */
export function relativeStorePath(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}
