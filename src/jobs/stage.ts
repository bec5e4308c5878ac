import type { JobKind } from '../storage/jobs.ts';

/** Figures a stage reports with its progress: flat name → number (or a short text / flag). */
export type ProgressFigures = Record<string, number | string | boolean>;

/** What a running stage may do besides its own work; the runner implements it for each job. */
export interface JobContext {
  readonly jobId: string;
  /** Who submitted the job (token or operator name, or the CLI user). */
  readonly requestedBy: string | undefined;
  /** Aborted when the job is cancelled or the daemon stops; long stages pass it on and check it. */
  readonly signal: AbortSignal;
  /**
   * Progress within the current stage, 0..1, a line for people, and figures measured so far (published
   * with the job.progress event, e.g. a calibration step's figures for the technician's wizard).
   */
  progress(fraction: number, message?: string, figures?: ProgressFigures): void;
  /**
   * Write bytes into the content-addressed store, journaled first: until a committed `blobs` row takes
   * the file over, a failure, a cancel or a crash deletes it again.
   */
  putFile(bytes: Uint8Array): Promise<{ sha256: string; path: string; sizeBytes: number }>;
  /** This job is done with the rig and camera (its frames are copied out): the next job may capture. */
  releaseHardware(): void;
  /**
   * Wait until a person confirms a manual step (`POST /api/jobs/{id}/continue`), e.g. a card flip; with
   * `timeoutMs`, at most that long (then it resolves 'timed-out' and the job no longer waits).
   */
  awaitContinue(prompt: string, options?: { timeoutMs?: number }): Promise<'confirmed' | 'timed-out'>;
  /** Throws the cancel reason if the job was cancelled. */
  throwIfCancelled(): void;
  /**
   * Marks the job `done` (with its kind's result of the state as it is now), for the last stage to call
   * inside the transaction that commits its rows: the rows and the job's end commit together, so a crash
   * leaves neither or both (never a job that reads `interrupted` beside what it committed). Throws the
   * cancel reason when the job was cancelled (rolling the transaction back), GB_INTERNAL from any stage but
   * the last. Whatever the stage does after it must not fail.
   */
  commitDone(): void;
}

/** One step of a job. Each stage that writes rows commits them in its own transaction. */
export interface Stage<S> {
  /** Short name shown as the job's stage (capture, store, reconstruct, grade, publish, …). */
  readonly name: string;
  run(state: S, job: JobContext): Promise<void>;
}

/** A job kind: how its parameters are checked at submission, its stages, and what it reports. */
export interface JobKindDefinition<P, S> {
  readonly kind: JobKind;
  /** Checks that need to read files (e.g. the calibration's camera size), before anything is queued. */
  check?(params: Record<string, unknown>): Promise<void>;
  /**
   * Check the parameters before anything is queued (coded errors: GB_VALIDATION, GB_NOT_CALIBRATED, …).
   * Runs inside the submission's transaction, so it may create rows the job points at (its card).
   */
  prepare(params: Record<string, unknown>): { params: P; cardId?: number };
  /** The stages of one run, in order, and the state they share (built when the job starts). */
  plan(params: P, job: JobContext): Promise<{ state: S; stages: ReadonlyArray<Stage<S>> }>;
  /** The job's result (stored as its result JSON, printed by the CLI). */
  result(state: S): Record<string, unknown>;
}

// The runner holds kinds of different parameter and state types in one table.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobKind = JobKindDefinition<any, any>;
