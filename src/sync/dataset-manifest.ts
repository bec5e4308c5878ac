import { createHash } from 'node:crypto';
import type { Db } from '../storage/database.ts';
import type { FileStore } from '../storage/file-store.ts';
import { createError } from '../core/errors.ts';

/**
 * A dataset for retraining: one scanned card side — its frames, maps, the calibration records it used and
 * its labels (the machine's grade and defects, and operators' overrides) — described by a manifest that
 * lists every file as a sequence of sha256-addressed chunks. The manifest's own sha256 is the dataset id:
 * the same scan with the same labels is the same dataset, and a chunk the fleet already holds (a
 * calibration record shared by many scans, a file of an earlier version of the dataset) is never sent again.
 */
export interface DatasetFile {
  /**
   * Path inside the dataset without an extension, e.g. `frames/light-03`, `maps/normals`, `calibration/lights`;
   * an export adds the one its media type has (`.png`, `.pfm`, `.json`).
   */
  name: string;
  role: 'frame' | 'normals' | 'albedo' | 'depth' | 'calibration' | 'grade-report';
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  /** sha256 of each chunk in order; every chunk is chunkBytes long except the last. */
  chunks: string[];
  /** Per-file facts a trainer needs (a frame's light index, LED channel, exposure). */
  meta?: Record<string, unknown>;
}

export interface DatasetDefectLabel {
  category: string;
  kind: string;
  xMm: number;
  yMm: number;
  widthMm: number | null;
  lengthMm: number | null;
  depthUm: number | null;
  severity: number;
}

/** An operator's override of one subgrade (grade_overrides), as a label. */
export interface DatasetOverrideLabel {
  subgrade: 'centering' | 'corners' | 'edges' | 'surface';
  machineValue: number | null;
  value: number;
  reason: string;
  note: string;
  createdBy: string;
  createdAt: string;
}

export interface DatasetManifest {
  schema: 'gradebooth.dataset.v1';
  boothId: string;
  scan: { id: string; jobId: string; side: 'front' | 'back'; barcode: string | null; createdAt: string; summary: Record<string, unknown> | null };
  chunkBytes: number;
  totalBytes: number;
  calibrations: Array<{ procedure: string; id: string; version: number; passed: boolean; createdAt: string }>;
  labels: {
    /** The machine's grade of the card this side belongs to (null: measured, not graded). */
    grade: { id: string; overall: number; centering: number | null; corners: number | null; edges: number | null; surface: number | null; score1000: number | null; createdAt: string } | null;
    /** This side's defects as the machine found them. */
    defects: DatasetDefectLabel[];
    /** Operators' corrections of the machine's grade (training labels), oldest first. */
    overrides: DatasetOverrideLabel[];
  };
  files: DatasetFile[];
}

/** The bytes a dataset is identified by and sent as; JSON with the builder's fixed key order. */
export function manifestBytes(manifest: DatasetManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}

export function datasetIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export const defaultChunkBytes = 1024 * 1024;

interface ScanRow {
  id: string;
  job_id: string;
  side: 'front' | 'back';
  card_id: number | null;
  normals_sha256: string | null;
  albedo_sha256: string | null;
  depth_sha256: string | null;
  summary_json: string | null;
  created_at: string;
}

/** A file of the manifest and where its bytes are (chunk i of the file = bytes [i·chunkBytes, …)). */
export interface ChunkRef {
  sha256: string;
  fileSha256: string;
  offsetBytes: number;
  sizeBytes: number;
}

function mediaTypeOf(db: Db, sha256: string): { mediaType: string; sizeBytes: number } {
  const row = db.prepare('SELECT media_type AS mediaType, size_bytes AS sizeBytes FROM blobs WHERE sha256 = ?').get(sha256) as { mediaType: string; sizeBytes: number } | undefined;
  if (!row) throw createError('GB_STORE_MISSING', `dataset: file ${sha256} is not registered in the database`);
  return row;
}

/**
 * The manifest of a finished scan side and its chunk references, reading every file once from the store
 * (which verifies its sha256: a damaged file is GB_STORE_CORRUPT, never uploaded).
 */
export async function buildScanDataset(db: Db, store: FileStore, scanId: string, options: { boothId: string; chunkBytes?: number }): Promise<{ manifest: DatasetManifest; bytes: Buffer; id: string; chunks: ChunkRef[] }> {
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes;
  const scan = db.prepare('SELECT * FROM scans WHERE id = ?').get(scanId) as ScanRow | undefined;
  if (!scan) throw createError('GB_NOT_FOUND', `no scan ${scanId}`);
  if (!scan.normals_sha256 || !scan.albedo_sha256 || !scan.depth_sha256) throw createError('GB_CONFLICT', `scan ${scanId} has no maps (it did not finish); only finished scans make datasets`);
  const barcode = scan.card_id === null ? null : (db.prepare('SELECT barcode FROM cards WHERE id = ?').pluck().get(scan.card_id) as string | undefined) ?? null;

  const planned: Array<Omit<DatasetFile, 'sizeBytes' | 'chunks' | 'mediaType'>> = [];
  const frames = db.prepare('SELECT light_index, led_channel, exposure_us, gain_db, width, height, pixel_format, sha256, timestamp_us FROM frames WHERE scan_id = ? ORDER BY light_index, id').all(scanId) as Array<{
    light_index: number; led_channel: number | null; exposure_us: number; gain_db: number; width: number; height: number; pixel_format: string; sha256: string; timestamp_us: number | null;
  }>;
  const taken = new Map<string, number>();
  for (const f of frames) {
    // frames/light-07 (LED 7), frames/dark-00 (no LED); a second frame of one light (another exposure) gets -2, -3, …
    const base = f.light_index < 0 ? 'frames/dark' : `frames/light-${String(f.light_index).padStart(2, '0')}`;
    const n = (taken.get(base) ?? 0) + 1;
    taken.set(base, n);
    const name = n === 1 ? base : `${base}-${n}`;
    planned.push({ name, role: 'frame', sha256: f.sha256, meta: { lightIndex: f.light_index, ledChannel: f.led_channel, exposureUs: f.exposure_us, gainDb: f.gain_db, width: f.width, height: f.height, pixelFormat: f.pixel_format, timestampUs: f.timestamp_us } });
  }
  planned.push({ name: 'maps/normals', role: 'normals', sha256: scan.normals_sha256 });
  planned.push({ name: 'maps/albedo', role: 'albedo', sha256: scan.albedo_sha256 });
  planned.push({ name: 'maps/depth', role: 'depth', sha256: scan.depth_sha256 });

  const calibrations = db
    .prepare(
      `SELECT c.procedure, c.id, c.version, c.passed, c.created_at AS createdAt, c.record_sha256 AS recordSha256
       FROM scan_calibrations sc JOIN calibrations c ON c.id = sc.calibration_id WHERE sc.scan_id = ? ORDER BY c.procedure`,
    )
    .all(scanId) as Array<{ procedure: string; id: string; version: number; passed: number; createdAt: string; recordSha256: string | null }>;
  for (const c of calibrations) if (c.recordSha256) planned.push({ name: `calibration/${c.procedure}`, role: 'calibration', sha256: c.recordSha256 });

  const grade = db
    .prepare('SELECT id, overall, centering, corners, edges, surface, score_1000 AS score1000, report_sha256 AS reportSha256, created_at AS createdAt FROM grades WHERE job_id = ? AND override_of IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1')
    .get(scan.job_id) as { id: string; overall: number; centering: number | null; corners: number | null; edges: number | null; surface: number | null; score1000: number | null; reportSha256: string | null; createdAt: string } | undefined;
  const defects = grade
    ? (db
        .prepare('SELECT category, kind, x_mm AS xMm, y_mm AS yMm, width_mm AS widthMm, length_mm AS lengthMm, depth_um AS depthUm, severity FROM defects WHERE grade_id = ? AND side = ? ORDER BY id')
        .all(grade.id, scan.side) as DatasetDefectLabel[])
    : [];
  if (grade?.reportSha256) planned.push({ name: 'grade/report', role: 'grade-report', sha256: grade.reportSha256 });
  // Operators' overrides of this grade (training labels); the operator by id, not by name.
  const overrides = grade
    ? (db
        .prepare('SELECT subgrade, machine_value AS machineValue, value, reason, note, created_by AS createdBy, created_at AS createdAt FROM grade_overrides WHERE grade_id = ? ORDER BY created_at, rowid')
        .all(grade.id) as DatasetOverrideLabel[])
    : [];

  const files: DatasetFile[] = [];
  const chunks: ChunkRef[] = [];
  for (const p of planned) {
    const { mediaType } = mediaTypeOf(db, p.sha256);
    const bytes = await store.get(p.sha256);
    const fileChunks: string[] = [];
    for (let off = 0; off < bytes.byteLength; off += chunkBytes) {
      const part = bytes.subarray(off, Math.min(bytes.byteLength, off + chunkBytes));
      const sha = createHash('sha256').update(part).digest('hex');
      fileChunks.push(sha);
      chunks.push({ sha256: sha, fileSha256: p.sha256, offsetBytes: off, sizeBytes: part.byteLength });
    }
    files.push({ name: p.name, role: p.role, mediaType, sizeBytes: bytes.byteLength, sha256: p.sha256, chunks: fileChunks, ...(p.meta ? { meta: p.meta } : {}) });
  }
  const manifest: DatasetManifest = {
    schema: 'gradebooth.dataset.v1',
    boothId: options.boothId,
    scan: { id: scan.id, jobId: scan.job_id, side: scan.side, barcode, createdAt: scan.created_at, summary: scan.summary_json ? (JSON.parse(scan.summary_json) as Record<string, unknown>) : null },
    chunkBytes,
    totalBytes: files.reduce((a, f) => a + f.sizeBytes, 0),
    calibrations: calibrations.map((c) => ({ procedure: c.procedure, id: c.id, version: c.version, passed: c.passed === 1, createdAt: c.createdAt })),
    labels: {
      grade: grade ? { id: grade.id, overall: grade.overall, centering: grade.centering, corners: grade.corners, edges: grade.edges, surface: grade.surface, score1000: grade.score1000, createdAt: grade.createdAt } : null,
      defects,
      overrides,
    },
    files,
  };
  const bytes = manifestBytes(manifest);
  return { manifest, bytes, id: datasetIdOf(bytes), chunks };
}
