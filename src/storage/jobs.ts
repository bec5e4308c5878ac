import { randomUUID } from 'node:crypto';
import type { Db } from './database.ts';
import type { Page } from './cards.ts';
import { createError, type ErrorCode } from '../core/errors.ts';

export const jobKinds = ['calibration', 'scan', 'scan-card', 'grade'] as const;
export type JobKind = (typeof jobKinds)[number];
export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type JobState = (typeof jobStates)[number];
/** States a job never leaves. */
export const finalStates: readonly JobState[] = ['done', 'failed', 'cancelled', 'interrupted'];

/** One job as the runner, the API and the CLI see it. Times are ISO-8601 UTC. */
export interface JobRecord {
  id: string;
  kind: JobKind;
  cardId: number | null;
  state: JobState;
  /** The stage running now (or the last one that ran). */
  stage: string | null;
  /** 0..1 over the whole job. */
  progress: number;
  message: string | null;
  params: Record<string, unknown>;
  result: Record<string, unknown> | null;
  cancelRequested: boolean;
  error: { code: string; message: string } | null;
  requestedBy: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobRow {
  id: string;
  kind: JobKind;
  card_id: number | null;
  state: JobState;
  stage: string | null;
  progress: number;
  message: string | null;
  params_json: string;
  result_json: string | null;
  cancel_requested: number;
  error_code: string | null;
  error_message: string | null;
  requested_by: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toRecord = (r: JobRow): JobRecord => ({
  id: r.id,
  kind: r.kind,
  cardId: r.card_id,
  state: r.state,
  stage: r.stage,
  progress: r.progress,
  message: r.message,
  params: JSON.parse(r.params_json) as Record<string, unknown>,
  result: r.result_json === null ? null : (JSON.parse(r.result_json) as Record<string, unknown>),
  cancelRequested: r.cancel_requested === 1,
  error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
  requestedBy: r.requested_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/**
 * The `jobs` table as a durable queue, and `job_files`, the journal of store files a job wrote that no
 * committed row may reference yet. Every refusal is a coded error: GB_NOT_FOUND for an unknown job,
 * GB_CONFLICT for a transition its state does not allow.
 */
export class JobRepository {
  private readonly db: Db;
  private readonly now: () => Date;

  constructor(db: Db, now: () => Date = () => new Date()) {
    this.db = db;
    this.now = now;
  }

  /** Queue a job (call inside a transaction together with whatever it needs, e.g. its card row). */
  create(input: { kind: JobKind; params: Record<string, unknown>; cardId?: number; requestedBy?: string }): JobRecord {
    if (!jobKinds.includes(input.kind)) throw createError('GB_VALIDATION', `job kind must be one of ${jobKinds.join(', ')}, got "${String(input.kind)}"`);
    const id = `job-${randomUUID()}`;
    const t = this.now().toISOString();
    this.db
      .prepare("INSERT INTO jobs (id, kind, card_id, state, params_json, requested_by, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)")
      .run(id, input.kind, input.cardId ?? null, JSON.stringify(input.params), input.requestedBy ?? null, t, t);
    return this.require(id);
  }

  get(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The job or GB_NOT_FOUND. */
  require(id: string): JobRecord {
    const job = this.get(id);
    if (!job) throw createError('GB_NOT_FOUND', `no job with id ${id}`);
    return job;
  }

  /** Jobs newest first, optionally of one state and/or kind. */
  list(options: { state?: JobState; kind?: JobKind; limit: number; offset: number }): Page<JobRecord> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (options.state) (where.push('state = ?'), args.push(options.state));
    if (options.kind) (where.push('kind = ?'), args.push(options.kind));
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare(`SELECT COUNT(*) FROM jobs ${clause}`).pluck().get(...args) as number;
    const rows = this.db.prepare(`SELECT * FROM jobs ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`).all(...args, options.limit, options.offset) as JobRow[];
    return { items: rows.map(toRecord), total, limit: options.limit, offset: options.offset };
  }

  /** The oldest queued job, if any (of these ids only, when given). */
  nextQueued(ids?: readonly string[]): JobRecord | undefined {
    const only = ids === undefined ? '' : `AND id IN (${ids.map(() => '?').join(', ') || 'NULL'})`;
    const row = this.db.prepare(`SELECT * FROM jobs WHERE state = 'queued' ${only} ORDER BY created_at, rowid LIMIT 1`).get(...(ids ?? [])) as JobRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Jobs in state running (at start-up: left by a crash). */
  running(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE state = 'running' ORDER BY created_at").all() as JobRow[]).map(toRecord);
  }

  /** queued → running. */
  start(id: string): JobRecord {
    const t = this.now().toISOString();
    const changed = this.db.prepare("UPDATE jobs SET state = 'running', started_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'").run(t, t, id).changes;
    if (changed !== 1) throw this.conflict(id, 'start');
    return this.require(id);
  }

  setCard(id: string, cardId: number): void {
    this.db.prepare('UPDATE jobs SET card_id = ?, updated_at = ? WHERE id = ?').run(cardId, this.now().toISOString(), id);
  }

  /** Where a running job is: its stage, overall fraction and a line for people. */
  setProgress(id: string, stage: string, progress: number, message?: string): void {
    this.db
      .prepare("UPDATE jobs SET stage = ?, progress = ?, message = ?, updated_at = ? WHERE id = ? AND state = 'running'")
      .run(stage, clamp01(progress), message ?? null, this.now().toISOString(), id);
  }

  /** running (or queued) → done | failed | cancelled | interrupted, with the result or the error. */
  finish(id: string, state: Exclude<JobState, 'queued' | 'running'>, outcome: { result?: Record<string, unknown>; error?: { code: ErrorCode | string; message: string } } = {}): JobRecord {
    const needsError = state === 'failed' || state === 'interrupted';
    if (needsError !== (outcome.error !== undefined)) {
      throw createError('GB_INTERNAL', `job ${id}: state ${state} ${needsError ? 'needs' : 'takes no'} error code`);
    }
    const t = this.now().toISOString();
    const changed = this.db
      .prepare(
        `UPDATE jobs SET state = ?, result_json = ?, error_code = ?, error_message = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END,
           finished_at = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'running')`,
      )
      .run(state, outcome.result === undefined ? null : JSON.stringify(outcome.result), outcome.error?.code ?? null, outcome.error?.message ?? null, state, t, t, id).changes;
    if (changed !== 1) throw this.conflict(id, `mark ${state}`);
    return this.require(id);
  }

  /** Ask for a cancel: a queued job is cancelled at once, a running one is flagged for its runner. */
  requestCancel(id: string): JobRecord {
    const job = this.require(id);
    if (job.state === 'queued') return this.finish(id, 'cancelled');
    if (job.state !== 'running') throw this.conflict(id, 'cancel');
    this.db.prepare('UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?').run(this.now().toISOString(), id);
    return this.require(id);
  }

  /** Journal a file the job is about to write (committed before the file exists). */
  journalFile(id: string, sha256: string): void {
    this.db.prepare('INSERT OR IGNORE INTO job_files (job_id, sha256, created_at) VALUES (?, ?, ?)').run(id, sha256, this.now().toISOString());
  }

  /**
   * The journal's files of this job that no `blobs` row took over and no other job still has in its
   * journal: these are the files to delete after the job stopped.
   */
  uncommittedFiles(id: string): string[] {
    return this.db
      .prepare(
        `SELECT f.sha256 FROM job_files f WHERE f.job_id = ?
           AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = f.sha256)
           AND NOT EXISTS (SELECT 1 FROM job_files o WHERE o.sha256 = f.sha256 AND o.job_id <> f.job_id)`,
      )
      .pluck()
      .all(id) as string[];
  }

  /** Forget the job's journal (after its uncommitted files are deleted). */
  clearJournal(id: string): void {
    this.db.prepare('DELETE FROM job_files WHERE job_id = ?').run(id);
  }

  /** Jobs with a journal left (a crash between writing a file and cleaning up). */
  journaledJobs(): string[] {
    return this.db.prepare('SELECT DISTINCT job_id FROM job_files').pluck().all() as string[];
  }

  private conflict(id: string, what: string): Error {
    const job = this.require(id);
    return createError('GB_CONFLICT', `cannot ${what} job ${id}: it is ${job.state}`, { state: job.state });
  }
}
