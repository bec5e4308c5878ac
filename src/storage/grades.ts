import { randomUUID } from 'node:crypto';
import { createError } from '../core/errors.ts';
import type { Db } from './database.ts';
import { sha256Hex, type FileStore } from './file-store.ts';

// Grades and their defects: one `grades` row per grading of a card (a scan job's side, or both sides),
// one `defects` row per defect, the report files (JSON, HTML page, overlay images, defect crops) in the
// content-addressed store and registered in `blobs` in the same transaction as the rows.

/** A file of a grade's report. */
export interface GradeFile {
  /** What it is: report.json, report.html, albedo-overlay (front), … */
  name: string;
  mediaType: string;
  bytes: Uint8Array;
}

/** One defect to store. */
export interface NewDefect {
  side: 'front' | 'back';
  category: 'corner' | 'edge' | 'surface' | 'centering' | 'cut';
  kind: string;
  xMm: number;
  yMm: number;
  widthMm?: number;
  lengthMm?: number;
  depthUm?: number;
  /** 0..1: how much it cost (deduction points / 5, capped) or the detector's confidence. */
  severity: number;
  /** Its crop (PNG). */
  image?: Uint8Array;
}

export interface NewGrade {
  cardId: number;
  jobId?: string;
  modelId?: string;
  overall: number;
  centering?: number;
  corners?: number;
  edges?: number;
  surface?: number;
  score1000: number;
  /** The report's JSON document (stored; its sha256 goes into grades.report_sha256). */
  report: GradeFile;
  /** Further report files (HTML page, images). */
  files?: GradeFile[];
  defects: NewDefect[];
  createdBy?: string;
  now?: Date;
}

/** A stored grade (a `grades` row) with its defects. */
export interface GradeRecord {
  id: string;
  cardId: number;
  jobId: string | null;
  overall: number;
  centering: number | null;
  corners: number | null;
  edges: number | null;
  surface: number | null;
  score1000: number | null;
  reportSha256: string | null;
  createdAt: string;
  defects: { side: string; category: string; kind: string; xMm: number; yMm: number; widthMm: number | null; lengthMm: number | null; depthUm: number | null; severity: number; imageSha256: string | null }[];
}

/** The store's files of a saved grade, by name. */
export type SavedFiles = Record<string, { sha256: string; mediaType: string }>;

/** A grade with its files stored and its rows not yet written (GradeRepository.prepare). */
export interface PreparedGrade {
  /** The id its row will have. */
  id: string;
  files: SavedFiles;
  defectImages: (string | null)[];
  /** Write its blob, grade and defect rows; call inside a transaction (once). */
  insert(): void;
}

export class GradeRepository {
  private readonly db: Db;
  private readonly store: FileStore;

  constructor(db: Db, store: FileStore) {
    this.db = db;
    this.store = store;
  }

  /**
   * Store a grade: files first (content-addressed, idempotent; through `putFile` when a job writes them),
   * then every row in one transaction.
   */
  async save(
    g: NewGrade,
    putFile?: (bytes: Uint8Array) => Promise<{ sha256: string }>,
    /**
     * Runs inside the rows' transaction with the new grade's id: what must commit with the grade or not at
     * all (the fleet outbox rows announcing it). A throw rolls the grade back.
     */
    inTransaction?: (gradeId: string) => void,
  ): Promise<{ id: string; files: SavedFiles; defectImages: (string | null)[] }> {
    const created: string[] = [];
    try {
      const prepared = await this.prepareFiles(g, putFile, created);
      this.db.transaction(() => {
        prepared.insert();
        inTransaction?.(prepared.id);
      }).immediate();
      created.length = 0;
      return { id: prepared.id, files: prepared.files, defectImages: prepared.defectImages };
    } finally {
      // Files written for a grade whose rows did not commit are not referenced by anything: remove them.
      for (const sha of created) await this.store.delete(sha).catch(() => undefined);
    }
  }

  /**
   * A grade whose files a job wrote (through its journaling `putFile`: a crash, a cancel or a failure before
   * the rows commit deletes them) and whose rows wait: `insert()` writes the blobs, grade and defect rows
   * inside the caller's transaction, so that they commit with the job's own last rows (the scan's
   * completion, the fleet's results, the job's end).
   */
  async prepare(g: NewGrade, putFile: (bytes: Uint8Array) => Promise<{ sha256: string }>): Promise<PreparedGrade> {
    return this.prepareFiles(g, putFile, []);
  }

  private async prepareFiles(g: NewGrade, putFile: ((bytes: Uint8Array) => Promise<{ sha256: string }>) | undefined, created: string[]): Promise<PreparedGrade> {
    const check = (name: string, v: number | undefined, lo: number, hi: number): void => {
      if (v !== undefined && !(v >= lo && v <= hi)) throw createError('GB_VALIDATION', `grade ${name}: expected ${lo}..${hi}, got ${v}`);
    };
    check('overall', g.overall, 1, 10);
    for (const k of ['centering', 'corners', 'edges', 'surface'] as const) check(k, g[k], 1, 10);
    check('score1000', g.score1000, 0, 1000);
    for (const d of g.defects) check(`defect ${d.kind} severity`, d.severity, 0, 1);
    const put = async (bytes: Uint8Array): Promise<string> => {
      // A job's own writer journals the file (the job runner removes it if the job does not commit).
      if (putFile) return (await putFile(bytes)).sha256;
      const existed = await this.store.has(sha256Hex(bytes));
      const r = await this.store.put(bytes);
      if (!existed) created.push(r.sha256);
      return r.sha256;
    };
    const files: SavedFiles = {};
    const blobs: { sha256: string; size: number; mediaType: string }[] = [];
    for (const f of [g.report, ...(g.files ?? [])]) {
      const sha256 = await put(f.bytes);
      files[f.name] = { sha256, mediaType: f.mediaType };
      blobs.push({ sha256, size: f.bytes.byteLength, mediaType: f.mediaType });
    }
    const defectImages: (string | null)[] = [];
    for (const d of g.defects) {
      if (!d.image) { defectImages.push(null); continue; }
      const sha256 = await put(d.image);
      defectImages.push(sha256);
      blobs.push({ sha256, size: d.image.byteLength, mediaType: 'image/png' });
    }
    const id = `grade-${randomUUID()}`;
    const now = (g.now ?? new Date()).toISOString();
    const insert = (): void => {
      const blob = this.db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)');
      for (const b of blobs) blob.run(b.sha256, b.size, b.mediaType, now);
      this.db.prepare(`INSERT INTO grades (id, card_id, job_id, model_id, overall, centering, corners, edges, surface, score_1000, report_sha256, created_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, g.cardId, g.jobId ?? null, g.modelId ?? null, g.overall, g.centering ?? null, g.corners ?? null, g.edges ?? null, g.surface ?? null, Math.round(g.score1000), files[g.report.name].sha256, g.createdBy ?? null, now);
      const ins = this.db.prepare(`INSERT INTO defects (grade_id, side, category, kind, x_mm, y_mm, width_mm, length_mm, depth_um, severity, image_sha256)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      g.defects.forEach((d, k) => ins.run(id, d.side, d.category, d.kind, d.xMm, d.yMm, d.widthMm ?? null, d.lengthMm ?? null, d.depthUm ?? null, d.severity, defectImages[k]));
    };
    return { id, files, defectImages, insert };
  }

  /** A grade with its defects; undefined when there is none with this id. */
  get(id: string): GradeRecord | undefined {
    const row = this.db.prepare('SELECT id, card_id AS cardId, job_id AS jobId, overall, centering, corners, edges, surface, score_1000 AS score1000, report_sha256 AS reportSha256, created_at AS createdAt FROM grades WHERE id = ?').get(id) as Omit<GradeRecord, 'defects'> | undefined;
    if (!row) return undefined;
    const defects = this.db.prepare('SELECT side, category, kind, x_mm AS xMm, y_mm AS yMm, width_mm AS widthMm, length_mm AS lengthMm, depth_um AS depthUm, severity, image_sha256 AS imageSha256 FROM defects WHERE grade_id = ? ORDER BY id').all(id) as GradeRecord['defects'];
    return { ...row, defects };
  }

  /** A card's grades, newest first. */
  listForCard(cardId: number): GradeRecord[] {
    const ids = this.db.prepare('SELECT id FROM grades WHERE card_id = ? ORDER BY created_at DESC, rowid DESC').pluck().all(cardId) as string[];
    return ids.map((i) => this.get(i) as GradeRecord);
  }
}
