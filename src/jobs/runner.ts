import { createError, isGradeboothError, type GradeboothError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import type { Db } from '../storage/database.ts';
import type { FileStore } from '../storage/file-store.ts';
import { sha256Hex } from '../storage/file-store.ts';
import type { BlobRepository } from '../storage/blobs.ts';
import { finalStates, type JobKind, type JobRecord, type JobRepository } from '../storage/jobs.ts';
import type { AnyJobKind, JobContext } from './stage.ts';
import { diskFullError, isDiskFullError, withSpaceReserve, type SpaceReserve } from '../storage/disk-space.ts';

export interface JobRunnerDeps {
  db: Db;
  store: FileStore;
  jobs: JobRepository;
  blobs: BlobRepository;
  bus: EventBus;
  kinds: readonly AnyJobKind[];
  /** Turns every LED off: after a cancel or a failure, whatever stage the job was in. */
  lightsOff: () => Promise<void>;
  /** Jobs running at once: one capturing, the others processing what they captured (default 2). */
  maxActive?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
  /**
   * A runner inside a CLI command works only on the jobs it submitted (the queue's other jobs belong to
   * the daemon that will run them); the daemon's runner takes every queued job.
   */
  ownJobsOnly?: boolean;
  /** The data directory, named in GB_DISK_FULL. */
  dataDir?: string;
  /** Given up when the disk is full, so that marking the job failed still fits (see storage/disk-space.ts). */
  reserve?: SpaceReserve;
}

interface ActiveJob {
  id: string;
  controller: AbortController;
  /** Set while the job waits for a person (card flip, calibration target). */
  continueWaiter: { prompt: string; resolve: () => void } | undefined;
  done: Promise<void>;
}

/** Why a job stopped early: a person cancelled it, or the daemon is stopping. */
type StopReason = { kind: 'cancel'; error: GradeboothError } | { kind: 'shutdown'; error: GradeboothError };

/**
 * The job runner: a durable queue in SQLite, worked through in submission order. One job holds the
 * hardware at a time (from its start until it calls releaseHardware() or ends); another may start
 * capturing while the previous one still processes. A job's stages run in order; a cancel aborts the
 * current stage, turns the LEDs off and deletes the files the job wrote that no committed row took over.
 * On start, jobs left `running` by a crash become `interrupted` and their uncommitted files are deleted.
 */
export class JobRunner {
  private readonly deps: JobRunnerDeps;
  private readonly kinds: Map<JobKind, AnyJobKind>;
  private readonly active = new Map<string, ActiveJob>();
  private readonly waiters = new Map<string, Array<(job: JobRecord) => void>>();
  private readonly submitted: string[] = [];
  private hardwareHolder: string | undefined;
  private started = false;
  private stopping = false;

  constructor(deps: JobRunnerDeps) {
    this.deps = deps;
    this.kinds = new Map(deps.kinds.map((k) => [k.kind, k]));
  }

  /** Recover from a crash (interrupted jobs, uncommitted files), then work through the queue. */
  async start(): Promise<{ interrupted: string[] }> {
    const { jobs } = this.deps;
    const interrupted: string[] = [];
    for (const job of jobs.running()) {
      const message = `the daemon stopped while this job was running (stage ${job.stage ?? 'none'}); it did not finish and its uncommitted files were deleted`;
      jobs.finish(job.id, 'interrupted', { error: { code: 'GB_JOB_INTERRUPTED', message } });
      interrupted.push(job.id);
      this.deps.bus.emit('job.state', { jobId: job.id, kind: job.kind, state: 'interrupted', error: `GB_JOB_INTERRUPTED: ${message}` });
    }
    for (const id of jobs.journaledJobs()) await this.deleteUncommitted(id);
    this.deps.reserve?.ensure();
    this.started = true;
    this.pump();
    return { interrupted };
  }

  /** Queue a job after checking its parameters; returns the queued record. */
  async submit(kind: JobKind, params: Record<string, unknown>, requestedBy?: string): Promise<JobRecord> {
    if (this.stopping) throw createError('GB_SHUTTING_DOWN', 'the booth is stopping; submit the job again after it restarts');
    const def = this.kinds.get(kind);
    if (!def) throw createError('GB_VALIDATION', `this booth runs no "${kind}" jobs (known: ${[...this.kinds.keys()].join(', ')})`);
    await def.check?.(params);
    const job = this.deps.db
      .transaction(() => {
        const prepared = def.prepare(params);
        return this.deps.jobs.create({ kind, params: prepared.params as Record<string, unknown>, cardId: prepared.cardId, requestedBy });
      })
      .immediate();
    this.submitted.push(job.id);
    this.deps.bus.emit('job.state', { jobId: job.id, kind, state: 'queued' });
    this.pump();
    return job;
  }

  /** Cancel a queued or running job; GB_CONFLICT once it has ended, GB_NOT_FOUND for an unknown id. */
  cancel(id: string, by?: string): JobRecord {
    const job = this.deps.jobs.requestCancel(id);
    const active = this.active.get(id);
    if (active) active.controller.abort({ kind: 'cancel', error: createError('GB_JOB_CANCELLED', `job ${id} was cancelled${by ? ` by ${by}` : ''}`) } satisfies StopReason);
    else if (job.state === 'cancelled') this.finished(job);
    return this.deps.jobs.require(id);
  }

  /**
   * Use the booth's hardware outside a job (the technician's camera preview): runs `use` while no job
   * holds the hardware, and holds it meanwhile so that no job starts capturing under it (queued jobs
   * start after). GB_CONFLICT naming the job when one holds it, GB_SHUTTING_DOWN while stopping.
   */
  async withHardware<T>(what: string, use: () => Promise<T>): Promise<T> {
    if (this.stopping) throw createError('GB_SHUTTING_DOWN', `the booth is stopping: no ${what} now`);
    const holder = this.hardwareHolder;
    if (holder !== undefined) {
      const job = this.deps.jobs.get(holder);
      throw createError('GB_CONFLICT', `the booth's hardware is in use${job ? ` by ${job.kind} job ${holder}${job.stage ? ` (stage ${job.stage})` : ''}` : ` by ${holder}`}: no ${what} until it is done`, { holder });
    }
    const token = `(${what})`;
    this.hardwareHolder = token;
    try {
      return await use();
    } finally {
      if (this.hardwareHolder === token) this.hardwareHolder = undefined;
      this.pump();
    }
  }

  /** Confirm the manual step a running job waits for; GB_CONFLICT if it waits for none. */
  continue(id: string): JobRecord {
    const job = this.deps.jobs.require(id);
    const waiter = this.active.get(id)?.continueWaiter;
    if (!waiter) throw createError('GB_CONFLICT', `job ${id} is ${job.state}${job.state === 'running' ? ` at stage ${job.stage ?? 'none'}` : ''} and waits for no confirmation`);
    waiter.resolve();
    return job;
  }

  /** Resolves with the job once it has ended (at once if it already has). */
  wait(id: string): Promise<JobRecord> {
    const job = this.deps.jobs.require(id);
    if (finalStates.includes(job.state)) return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** The prompt a job waits on, if it waits for a person. */
  waitingFor(id: string): string | undefined {
    return this.active.get(id)?.continueWaiter?.prompt;
  }

  /** Stop taking jobs; running ones are interrupted (LEDs off, files cleaned), queued ones stay queued. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const a of this.active.values()) {
      a.controller.abort({ kind: 'shutdown', error: createError('GB_JOB_INTERRUPTED', 'the daemon stopped while this job was running; submit it again') } satisfies StopReason);
    }
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private pump(): void {
    if (!this.started || this.stopping) return;
    while (this.hardwareHolder === undefined && this.active.size < (this.deps.maxActive ?? 2)) {
      const next = this.deps.jobs.nextQueued(this.deps.ownJobsOnly ? this.submitted : undefined);
      if (!next) return;
      this.launch(next);
    }
  }

  private launch(queued: JobRecord): void {
    const controller = new AbortController();
    const active: ActiveJob = { id: queued.id, controller, continueWaiter: undefined, done: Promise.resolve() };
    this.active.set(queued.id, active);
    this.hardwareHolder = queued.id;
    // Re-made once space is back after a full disk used it up.
    this.deps.reserve?.ensure();
    const after = (retryLater: boolean): void => {
      this.active.delete(queued.id);
      if (this.hardwareHolder === queued.id) this.hardwareHolder = undefined;
      if (retryLater) setTimeout(() => this.pumpLogged(), 5000).unref();
      else this.pump();
    };
    active.done = this.execute(queued, active).then(
      () => after(false),
      (err: unknown) => {
        // Starting the job is a write too (a full disk fails it): log it, never an unhandled rejection,
        // and try the queue again a little later rather than at once in a loop.
        this.deps.log?.('job could not start', { jobId: queued.id, err: String(err) });
        after(true);
      },
    );
  }

  /** pump() from a timer: the runner may have stopped (its database closed) meanwhile. */
  private pumpLogged(): void {
    if (this.stopping) return;
    try {
      this.pump();
    } catch (err) {
      this.deps.log?.('job queue could not be read', { err: String(err) });
    }
  }

  private async execute(queued: JobRecord, active: ActiveJob): Promise<void> {
    const { jobs, bus } = this.deps;
    const def = this.kinds.get(queued.kind);
    let job = jobs.start(queued.id);
    bus.emit('job.state', { jobId: job.id, kind: job.kind, state: 'running' });
    const signal = active.controller.signal;
    let stageName = 'start';
    let stageIndex = 0;
    let stageCount = 1;
    // The job's state and the record its last stage committed `done` in its own transaction (commitDone).
    let planned: { state: unknown } | undefined;
    let committed: JobRecord | undefined;
    const ctx: JobContext = {
      jobId: job.id,
      requestedBy: job.requestedBy ?? undefined,
      signal,
      progress: (fraction, message, figures) => {
        const overall = (stageIndex + Math.min(1, Math.max(0, fraction))) / stageCount;
        jobs.setProgress(job.id, stageName, overall, message);
        bus.emit('job.progress', { jobId: job.id, stage: stageName, fraction: overall, ...(message === undefined ? {} : { message }), ...(figures === undefined ? {} : { figures }) });
      },
      putFile: async (bytes) => {
        const sha = sha256Hex(bytes);
        if (!this.deps.blobs.has(sha)) jobs.journalFile(job.id, sha);
        return this.deps.store.put(bytes);
      },
      releaseHardware: () => {
        if (this.hardwareHolder !== job.id) return;
        this.hardwareHolder = undefined;
        this.pump();
      },
      awaitContinue: (prompt, options = {}) =>
        new Promise<'confirmed' | 'timed-out'>((resolve, reject) => {
          let timer: NodeJS.Timeout | undefined;
          const settle = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            active.continueWaiter = undefined;
          };
          const onAbort = (): void => {
            settle();
            reject(this.reasonOf(signal).error);
          };
          if (signal.aborted) return onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          active.continueWaiter = {
            prompt,
            resolve: () => {
              settle();
              resolve('confirmed');
            },
          };
          if (options.timeoutMs !== undefined) {
            timer = setTimeout(() => {
              settle();
              resolve('timed-out');
            }, options.timeoutMs);
          }
          jobs.setProgress(job.id, stageName, stageIndex / stageCount, `waiting: ${prompt}`);
          bus.emit('job.progress', { jobId: job.id, stage: stageName, fraction: stageIndex / stageCount, message: `waiting: ${prompt}` });
        }),
      throwIfCancelled: () => {
        if (signal.aborted) throw this.reasonOf(signal).error;
      },
      commitDone: () => {
        if (!def || !planned || stageIndex !== stageCount - 1 || committed) throw createError('GB_INTERNAL', `job ${job.id}: only its last stage commits the job's end, once (called at stage ${stageName})`);
        if (signal.aborted) throw this.reasonOf(signal).error;
        committed = jobs.finish(job.id, 'done', { result: def.result(planned.state) });
      },
    };
    try {
      if (!def) throw createError('GB_INTERNAL', `no runner for job kind ${job.kind}`);
      const { state, stages } = await def.plan(job.params, ctx);
      planned = { state };
      stageCount = stages.length;
      for (let i = 0; i < stages.length; i++) {
        ctx.throwIfCancelled();
        stageIndex = i;
        stageName = stages[i].name;
        ctx.progress(0, stageName);
        await stages[i].run(state, ctx);
      }
      // A last stage that committed the job's end with its rows is done whatever happened since (a cancel
      // that came after the commit is too late).
      if (committed) job = committed;
      else {
        ctx.throwIfCancelled();
        job = jobs.finish(job.id, 'done', { result: def.result(state) });
      }
      await this.deleteUncommitted(job.id);
    } catch (err) {
      if (committed) {
        // The job's rows and its end are committed: it is done; only the clean-up after it failed.
        this.deps.log?.('a job failed after it committed its end', { jobId: job.id, err: (err as Error)?.stack ?? String(err) });
        job = committed;
      } else job = await this.failed(job, err, signal);
    }
    this.finished(job);
  }

  /** The job ended early: LEDs off, uncommitted files deleted, state cancelled / interrupted / failed. */
  private async failed(job: JobRecord, err: unknown, signal: AbortSignal): Promise<JobRecord> {
    const { jobs } = this.deps;
    await this.deps.lightsOff().catch((e: unknown) => this.deps.log?.('could not turn the LEDs off after a job stopped', { jobId: job.id, err: String(e) }));
    // A full disk shows up as ENOSPC from a file write or SQLITE_FULL from a row: one clear code for both.
    if (isDiskFullError(err) && this.deps.dataDir) err = diskFullError(this.deps.dataDir, { cause: err });
    const reason = signal.aborted ? this.reasonOf(signal) : undefined;
    const code = isGradeboothError(err) ? err.code : 'GB_INTERNAL';
    if (!reason && code === 'GB_INTERNAL') this.deps.log?.('job failed with an internal error', { jobId: job.id, err: (err as Error)?.stack ?? String(err) });
    const error = reason ? { code: reason.error.code, message: reason.error.message } : { code, message: (err as Error)?.message ?? String(err) };
    const state = reason?.kind === 'cancel' ? 'cancelled' : reason ? 'interrupted' : 'failed';
    try {
      // Deleting the job's files usually frees the space; when the disk is full for another reason the
      // reserve is given up, so the job never stays `running` because recording its end did not fit.
      return await withSpaceReserve(this.deps.reserve, async () => {
        await this.deleteUncommitted(job.id);
        return state === 'cancelled' ? jobs.finish(job.id, 'cancelled') : jobs.finish(job.id, state, { error });
      });
    } catch (writeErr) {
      // Not even that fits: the row stays `running` and the next start marks it interrupted. Waiters
      // hear the real outcome now.
      this.deps.log?.('could not record the end of a job', { jobId: job.id, state, error: error.message, err: String(writeErr) });
      return { ...job, state, error: state === 'cancelled' ? null : error, finishedAt: new Date().toISOString() } as JobRecord;
    }
  }

  private finished(job: JobRecord): void {
    this.deps.bus.emit('job.state', { jobId: job.id, kind: job.kind, state: job.state, ...(job.error ? { error: `${job.error.code}: ${job.error.message}` } : {}) });
    for (const resolve of this.waiters.get(job.id) ?? []) resolve(job);
    this.waiters.delete(job.id);
  }

  private async deleteUncommitted(id: string): Promise<void> {
    for (const sha of this.deps.jobs.uncommittedFiles(id)) await this.deps.store.delete(sha);
    this.deps.jobs.clearJournal(id);
  }

  private reasonOf(signal: AbortSignal): StopReason {
    const r = signal.reason as StopReason | undefined;
    return r && typeof r === 'object' && 'kind' in r ? r : { kind: 'shutdown', error: createError('GB_JOB_INTERRUPTED', 'the job was stopped') };
  }
}
