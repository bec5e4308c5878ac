import type { Db } from '../storage/database.ts';
import { sha256Hex, type FileStore } from '../storage/file-store.ts';
import { encodePng } from '../imaging/png.ts';
import type { CapturedFrame, SideCapture } from './sequencer.ts';
import { BlobRepository } from '../storage/blobs.ts';
import { FrameRepository, type FrameOwner, type NewFrame } from '../storage/frames.ts';

export type { FrameOwner } from '../storage/frames.ts';

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

/** Writes bytes into the content-addressed store (FileStore.put, or a job's journaled put). */
export type StorePut = (bytes: Uint8Array) => Promise<{ sha256: string; path: string; sizeBytes: number }>;

/**
 * Store a captured side: every frame (dark first) as a 16-bit PNG in the content-addressed store, then in
 * ONE transaction the blobs and frames rows, plus whatever `inTransaction` adds (e.g. the scan row the
 * frames point at). If anything fails, the transaction rolls back and the files this call created are
 * deleted again (files that were already in the store stay: other rows may use them). `put` lets a job
 * journal each file before it is written, so a crash in between is cleaned up too.
 */
export async function storeSideCapture(db: Db, store: FileStore, capture: SideCapture, owner: FrameOwner, inTransaction?: (db: Db) => void, put: StorePut = (b) => store.put(b)): Promise<StoredFrame[]> {
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
        const done = await put(bytes);
        if (!existed) created.push(done.sha256);
        stored.push({ lightIndex: batch[j].lightIndex, ledChannel: batch[j].ledChannel, sha256: done.sha256, path: relativeStorePath(done.sha256), sizeBytes: done.sizeBytes });
      }
    }
    const blobs = new BlobRepository(db);
    const frames = new FrameRepository(db);
    const rows: NewFrame[] = all.map((f, i) => ({
      lightIndex: f.lightIndex,
      ledChannel: f.ledChannel,
      exposureUs: f.exposureUs,
      gainDb: 20 * Math.log10(f.gain),
      width: f.width,
      height: f.height,
      pixelFormat: f.pixelFormat,
      sha256: stored[i].sha256,
      path: stored[i].path,
      timestampUs: f.timestampUs,
      meta: { level: f.level, firmwareTriggerUs: f.firmwareTriggerUs, latenessUs: f.latenessUs, onUs: f.onUs, frameId: f.frameId, exposure: f.exposure ?? null },
    }));
    db.transaction(() => {
      inTransaction?.(db);
      for (const s of stored) blobs.register(s.sha256, s.sizeBytes, 'image/png');
      frames.insertMany(owner, rows);
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
