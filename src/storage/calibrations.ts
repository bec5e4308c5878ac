import { randomBytes } from 'node:crypto';
import type { Db } from './database.ts';
import type { FileStore } from './file-store.ts';
import { createError } from '../core/errors.ts';

/** What a calibration run produced, as handed to save(). */
export interface NewCalibration {
  /** Procedure name: lower-case words with dashes, e.g. dark, flat, lights, scale, verify. */
  procedure: string;
  passed: boolean;
  /** Summary figures and thresholds shown to technicians (JSON object). */
  figures: Record<string, unknown>;
  /** The full result (e.g. LED positions, sha256 of maps), kept in the record's JSON file only. */
  data?: unknown;
  /** When it stops being valid; or give validForMs. */
  expiresAt?: Date;
  validForMs?: number;
  createdBy?: string;
  /** Creation time (default: now). */
  now?: Date;
}

/** One stored calibration (a row of `calibrations`). Times are ISO-8601 UTC. */
export interface CalibrationRecord {
  id: string;
  procedure: string;
  /** 1, 2, 3, … per procedure, in the order they were saved. */
  version: number;
  passed: boolean;
  figures: Record<string, unknown>;
  /** sha256 of the record's JSON file in the file store. */
  recordSha256: string | null;
  createdAt: string;
  expiresAt: string;
  createdBy: string | null;
}

/** The JSON file kept for each record: the row's fields plus the full data. */
export interface CalibrationDocument {
  format: 'gradebooth-calibration/1';
  id: string;
  procedure: string;
  version: number;
  passed: boolean;
  figures: Record<string, unknown>;
  data: unknown;
  createdAt: string;
  expiresAt: string;
  createdBy: string | null;
}

export type CalibrationState = 'valid' | 'expired' | 'failed' | 'missing';

/** Where one procedure stands at a given time. */
export interface ProcedureStatus {
  procedure: string;
  state: CalibrationState;
  /** The newest passed, unexpired record (state 'valid'). */
  valid?: CalibrationRecord;
  /** The newest record of any outcome. */
  latest?: CalibrationRecord;
  /** One sentence for the technician. */
  message: string;
}

/** Whether a set of procedures is calibrated; `message` says what is missing and what to run. */
export interface CalibrationCheck {
  ok: boolean;
  statuses: ProcedureStatus[];
  missing: string[];
  expired: string[];
  failed: string[];
  message: string;
}

interface CalibrationRow {
  id: string;
  procedure: string;
  version: number;
  passed: number;
  figures_json: string;
  record_sha256: string | null;
  created_at: string;
  expires_at: string;
  created_by: string | null;
}

const PROCEDURE_RE = /^[a-z][a-z0-9-]{0,31}$/;
/** The command a technician runs to (re)calibrate. */
export const calibrateCommandHint = 'gradebooth calibrate run';

const toRecord = (r: CalibrationRow): CalibrationRecord => ({
  id: r.id,
  procedure: r.procedure,
  version: r.version,
  passed: r.passed === 1,
  figures: JSON.parse(r.figures_json) as Record<string, unknown>,
  recordSha256: r.record_sha256,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  createdBy: r.created_by,
});

/** Validate a procedure name (GB_USAGE otherwise). */
export function checkProcedureName(procedure: string): void {
  if (!PROCEDURE_RE.test(procedure)) {
    throw createError('GB_USAGE', `calibration procedure must be lower-case letters, digits and dashes (e.g. "lights"), got "${procedure}"`);
  }
}

/**
 * Calibration records: one row per run in `calibrations`, versioned per procedure, plus a JSON file in the
 * content-addressed store with the full result, referenced by sha256 and registered in `blobs` in the
 * same transaction as the row — so a record never points at a file the database does not know.
 */
export class CalibrationRepository {
  private readonly db: Db;
  private readonly store: FileStore;

  constructor(db: Db, store: FileStore) {
    this.db = db;
    this.store = store;
  }

  /**
   * Store a calibration run; returns the record with its version (previous version of the procedure + 1).
   * `put` writes the record's file (default: the store; a job passes its journaled put).
   */
  async save(input: NewCalibration, put: (bytes: Uint8Array) => Promise<{ sha256: string; sizeBytes: number }> = (b) => this.store.put(b)): Promise<CalibrationRecord> {
    checkProcedureName(input.procedure);
    if (typeof input.figures !== 'object' || input.figures === null || Array.isArray(input.figures)) {
      throw createError('GB_BAD_REQUEST', 'calibration figures must be a JSON object');
    }
    const created = input.now ?? new Date();
    let expires: Date;
    if (input.expiresAt) expires = input.expiresAt;
    else if (input.validForMs !== undefined && input.validForMs > 0) expires = new Date(created.getTime() + input.validForMs);
    else throw createError('GB_BAD_REQUEST', 'a calibration needs expiresAt or a positive validForMs');
    if (!(expires.getTime() > created.getTime())) throw createError('GB_BAD_REQUEST', `calibration expires (${expires.toISOString()}) before it is created (${created.toISOString()})`);
    const nextVersion = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM calibrations WHERE procedure = ?').pluck();
    const insertBlob = this.db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)');
    const insertRow = this.db.prepare(
      'INSERT INTO calibrations (id, procedure, version, passed, figures_json, record_sha256, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // The file must be written (async) before the synchronous transaction; if another writer took the
    // version meanwhile, write the file again with the next one.
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = nextVersion.get(input.procedure) as number;
      const doc: CalibrationDocument = {
        format: 'gradebooth-calibration/1',
        id: `${input.procedure}-v${version}-${randomBytes(4).toString('hex')}`,
        procedure: input.procedure,
        version,
        passed: input.passed,
        figures: input.figures,
        data: input.data ?? null,
        createdAt: created.toISOString(),
        expiresAt: expires.toISOString(),
        createdBy: input.createdBy ?? null,
      };
      const bytes = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
      const stored = await put(bytes);
      const inserted = this.db.transaction(() => {
        if ((nextVersion.get(input.procedure) as number) !== version) return false;
        insertBlob.run(stored.sha256, stored.sizeBytes, 'application/json', doc.createdAt);
        insertRow.run(doc.id, doc.procedure, version, doc.passed ? 1 : 0, JSON.stringify(doc.figures), stored.sha256, doc.createdAt, doc.expiresAt, doc.createdBy);
        return true;
      }).immediate();
      if (inserted) return this.get(doc.id) as CalibrationRecord;
    }
    throw createError('GB_CONFLICT', `could not save a ${input.procedure} calibration: other writers kept taking the next version`);
  }

  /** A record by id. */
  get(id: string): CalibrationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM calibrations WHERE id = ?').get(id) as CalibrationRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The full JSON document of a record, read from the file store (hash-checked). */
  async readDocument(record: CalibrationRecord): Promise<CalibrationDocument> {
    if (!record.recordSha256) throw createError('GB_STORE_MISSING', `calibration ${record.id} has no record file`);
    return JSON.parse((await this.store.get(record.recordSha256)).toString('utf8')) as CalibrationDocument;
  }

  /** The newest record of a procedure, whatever its outcome. */
  latest(procedure: string): CalibrationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM calibrations WHERE procedure = ? ORDER BY version DESC LIMIT 1').get(procedure) as CalibrationRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The newest passed record of a procedure that has not expired at `now`. */
  latestValid(procedure: string, now = new Date()): CalibrationRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM calibrations WHERE procedure = ? AND passed = 1 AND expires_at > ? ORDER BY version DESC LIMIT 1')
      .get(procedure, now.toISOString()) as CalibrationRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Records newest first, of one procedure or all. */
  history(procedure?: string, limit = 100): CalibrationRecord[] {
    const rows = (procedure === undefined
      ? this.db.prepare('SELECT * FROM calibrations ORDER BY created_at DESC, procedure, version DESC LIMIT ?').all(limit)
      : this.db.prepare('SELECT * FROM calibrations WHERE procedure = ? ORDER BY version DESC LIMIT ?').all(procedure, limit)) as CalibrationRow[];
    return rows.map(toRecord);
  }

  /** Names of every procedure that has at least one record. */
  procedures(): string[] {
    return this.db.prepare('SELECT DISTINCT procedure FROM calibrations ORDER BY procedure').pluck().all() as string[];
  }

  /** Where one procedure stands at `now`. */
  status(procedure: string, now = new Date()): ProcedureStatus {
    const valid = this.latestValid(procedure, now);
    const latest = this.latest(procedure);
    if (valid) {
      const newerFailed = latest && latest.version > valid.version && !latest.passed;
      return {
        procedure,
        state: 'valid',
        valid,
        latest,
        message: `${procedure}: valid (v${valid.version}) until ${valid.expiresAt}${newerFailed ? `; the newer run v${latest.version} failed and was not applied` : ''}`,
      };
    }
    if (!latest) return { procedure, state: 'missing', message: `${procedure}: never calibrated; run \`${calibrateCommandHint}\`` };
    if (latest.passed) {
      return { procedure, state: 'expired', latest, message: `${procedure}: expired at ${latest.expiresAt} (v${latest.version}); run \`${calibrateCommandHint}\`` };
    }
    const previous = this.lastPassed(procedure);
    const before = previous ? ` (the last good one, v${previous.version}, expired at ${previous.expiresAt})` : '';
    return { procedure, state: 'failed', latest, message: `${procedure}: the last run (v${latest.version}) failed${before}; fix the cause and run \`${calibrateCommandHint}\`` };
  }

  /** Check that every named procedure has a valid record at `now`; the message says what to run. */
  validFor(procedures: readonly string[], now = new Date()): CalibrationCheck {
    const statuses = procedures.map((p) => this.status(p, now));
    const pick = (s: CalibrationState): string[] => statuses.filter((x) => x.state === s).map((x) => x.procedure);
    const missing = pick('missing');
    const expired = pick('expired');
    const failed = pick('failed');
    const ok = missing.length + expired.length + failed.length === 0;
    const parts = [
      missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
      expired.length > 0 ? `expired: ${expired.join(', ')}` : '',
      failed.length > 0 ? `failed: ${failed.join(', ')}` : '',
    ].filter((s) => s.length > 0);
    const message = ok ? `calibration valid (${procedures.join(', ')})` : `not calibrated — ${parts.join('; ')}; run \`${calibrateCommandHint}\``;
    return { ok, statuses, missing, expired, failed, message };
  }

  private lastPassed(procedure: string): CalibrationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM calibrations WHERE procedure = ? AND passed = 1 ORDER BY version DESC LIMIT 1').get(procedure) as CalibrationRow | undefined;
    return row ? toRecord(row) : undefined;
  }
}
