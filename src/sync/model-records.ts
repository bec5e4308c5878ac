import type { Db } from '../storage/database.ts';
import type { ModelStateEntry, ModelStateName, ModelsStatePayload } from './payloads.ts';

/** One row of `model_releases` (migration 0009). */
export interface ModelRecord {
  sha256: string;
  name: string | null;
  version: string | null;
  releaseId: string | null;
  state: ModelStateName;
  canary: boolean;
  releaseJson: string | null;
  keyId: string | null;
  reasonCode: string | null;
  reasonMessage: string | null;
  chunks: number;
  chunksHave: number;
  resumedChunks: number;
  shadowNeeded: number;
  probationNeeded: number;
  previousSha256: string | null;
  offeredAt: string;
  updatedAt: string;
  activatedAt: string | null;
}

interface Row {
  sha256: string;
  name: string | null;
  version: string | null;
  release_id: string | null;
  state: ModelStateName;
  canary: number;
  release_json: string | null;
  key_id: string | null;
  reason_code: string | null;
  reason_message: string | null;
  chunks: number;
  chunks_have: number;
  resumed_chunks: number;
  shadow_needed: number;
  probation_needed: number;
  previous_sha256: string | null;
  offered_at: string;
  updated_at: string;
  activated_at: string | null;
}

const toRecord = (r: Row): ModelRecord => ({
  sha256: r.sha256,
  name: r.name,
  version: r.version,
  releaseId: r.release_id,
  state: r.state,
  canary: r.canary === 1,
  releaseJson: r.release_json,
  keyId: r.key_id,
  reasonCode: r.reason_code,
  reasonMessage: r.reason_message,
  chunks: r.chunks,
  chunksHave: r.chunks_have,
  resumedChunks: r.resumed_chunks,
  shadowNeeded: r.shadow_needed,
  probationNeeded: r.probation_needed,
  previousSha256: r.previous_sha256,
  offeredAt: r.offered_at,
  updatedAt: r.updated_at,
  activatedAt: r.activated_at,
});

/** One comparison of a model with its reference on one scanned side. */
export interface ModelComparison {
  modelSha256: string;
  phase: 'shadow' | 'probation';
  referenceSha256: string | null;
  scanId: string | null;
  side: 'front' | 'back' | null;
  /** null: nothing to compare with (no reference model), or the model failed. */
  agreed: boolean | null;
  matched: number;
  onlyReference: number;
  onlyModel: number;
  surfaceDelta: number | null;
  modelMs: number | null;
  referenceMs: number | null;
  error: { code: string; message: string } | null;
}

/** Figures of a model's comparisons in one phase. */
export interface ComparisonFigures {
  scans: number;
  agreed: number;
  compared: number;
  agreement: number | null;
  meanSurfaceDelta: number | null;
  errors: number;
}

/** SQL of the model rollout's tables; every write runs inside the caller's transaction. */
export class ModelRecords {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  get(sha256: string): ModelRecord | undefined {
    const r = this.db.prepare('SELECT * FROM model_releases WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  inState(...states: ModelStateName[]): ModelRecord[] {
    const rows = this.db.prepare(`SELECT * FROM model_releases WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY offered_at`).all(...states) as Row[];
    return rows.map(toRecord);
  }

  active(): ModelRecord | undefined {
    return this.inState('active')[0];
  }

  all(limit = 20): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM model_releases ORDER BY offered_at DESC, rowid DESC LIMIT ?').all(limit) as Row[]).map(toRecord);
  }

  insert(r: Omit<ModelRecord, 'updatedAt' | 'activatedAt' | 'previousSha256' | 'chunksHave' | 'resumedChunks'>): void {
    this.db
      .prepare(
        `INSERT INTO model_releases (sha256, name, version, release_id, state, canary, release_json, key_id, reason_code, reason_message, chunks, shadow_needed, probation_needed, offered_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sha256) DO UPDATE SET name = excluded.name, version = excluded.version, release_id = excluded.release_id, state = excluded.state,
           canary = excluded.canary, release_json = excluded.release_json, key_id = excluded.key_id, reason_code = excluded.reason_code,
           reason_message = excluded.reason_message, chunks = excluded.chunks, shadow_needed = excluded.shadow_needed,
           probation_needed = excluded.probation_needed, offered_at = excluded.offered_at, updated_at = excluded.updated_at`,
      )
      .run(r.sha256, r.name, r.version, r.releaseId, r.state, r.canary ? 1 : 0, r.releaseJson, r.keyId, r.reasonCode, r.reasonMessage, r.chunks, r.shadowNeeded, r.probationNeeded, r.offeredAt, r.offeredAt);
  }

  setState(sha256: string, state: ModelStateName, reason: { code: string; message: string } | null, now: string, extra: { previousSha256?: string | null; activatedAt?: string } = {}): void {
    this.db
      .prepare(
        `UPDATE model_releases SET state = ?, reason_code = ?, reason_message = ?, updated_at = ?,
           previous_sha256 = CASE WHEN ? THEN ? ELSE previous_sha256 END, activated_at = COALESCE(?, activated_at) WHERE sha256 = ?`,
      )
      .run(state, reason?.code ?? null, reason?.message ?? null, now, extra.previousSha256 !== undefined ? 1 : 0, extra.previousSha256 ?? null, extra.activatedAt ?? null, sha256);
  }

  setTransfer(sha256: string, have: number, resumed: number | undefined, now: string): void {
    this.db.prepare('UPDATE model_releases SET chunks_have = ?, resumed_chunks = COALESCE(?, resumed_chunks), updated_at = ? WHERE sha256 = ?').run(have, resumed ?? null, now, sha256);
  }

  addComparison(c: ModelComparison, now: string): void {
    this.db
      .prepare(
        `INSERT INTO model_comparisons (model_sha256, phase, reference_sha256, scan_id, side, agreed, matched, only_reference, only_model, surface_delta, model_ms, reference_ms, error_code, error_message, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.modelSha256, c.phase, c.referenceSha256, c.scanId, c.side, c.agreed === null ? null : c.agreed ? 1 : 0, c.matched, c.onlyReference, c.onlyModel, c.surfaceDelta, c.modelMs, c.referenceMs, c.error?.code ?? null, c.error?.message ?? null, now);
  }

  /** Comparisons of a model in a phase (probation counts only those since its latest activation). */
  figures(sha256: string, phase: 'shadow' | 'probation', since?: string | null): ComparisonFigures {
    const r = this.db
      .prepare(
        `SELECT count(*) AS scans, coalesce(sum(agreed), 0) AS agreed, count(agreed) AS compared, avg(surface_delta) AS delta,
                count(error_code) AS errors
           FROM model_comparisons WHERE model_sha256 = ? AND phase = ? AND (? IS NULL OR created_at >= ?)`,
      )
      .get(sha256, phase, since ?? null, since ?? null) as { scans: number; agreed: number; compared: number; delta: number | null; errors: number };
    return { scans: r.scans, agreed: r.agreed, compared: r.compared, agreement: r.compared > 0 ? r.agreed / r.compared : null, meanSurfaceDelta: r.delta, errors: r.errors };
  }

  entry(m: ModelRecord): ModelStateEntry {
    const shadow = this.figures(m.sha256, 'shadow');
    const probation = m.activatedAt !== null && m.probationNeeded > 0 ? this.figures(m.sha256, 'probation', m.activatedAt) : undefined;
    return {
      sha256: m.sha256,
      name: m.name,
      version: m.version,
      releaseId: m.releaseId,
      state: m.state,
      canary: m.canary,
      reason: m.reasonCode !== null ? { code: m.reasonCode, message: m.reasonMessage ?? '' } : null,
      transfer: { chunks: m.chunks, have: m.chunksHave, resumedChunks: m.resumedChunks },
      shadow: { scans: shadow.scans, needed: m.shadowNeeded, agreed: shadow.agreed, agreement: shadow.agreement, meanSurfaceDelta: shadow.meanSurfaceDelta, errors: shadow.errors },
      probation: probation && m.state === 'active' ? { scans: probation.scans, needed: m.probationNeeded } : null,
      updatedAt: m.updatedAt,
    };
  }

  statePayload(boothId: string, now: string): ModelsStatePayload {
    const active = this.active();
    return {
      schema: 'gradebooth.models.state.v1',
      boothId,
      at: now,
      active: active && active.name !== null && active.version !== null ? { sha256: active.sha256, name: active.name, version: active.version, since: active.activatedAt ?? active.updatedAt } : null,
      models: this.all(20).map((m) => this.entry(m)),
    };
  }
}
