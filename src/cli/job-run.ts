import type { Settings } from '../config/schema.ts';
import { createBooth } from '../booth/create-booth.ts';
import { createError, errorCodes, type ErrorCode } from '../core/errors.ts';
import { EventBus, type BoothEvents } from '../core/events.ts';
import { createBoothJobs } from '../booth-jobs.ts';
import { openDatabase } from '../storage/database.ts';
import { dataDirLayout } from '../storage/data-dir.ts';
import { FileStore } from '../storage/file-store.ts';
import type { JobKind, JobRecord } from '../storage/jobs.ts';
import type { CommandContext } from './command.ts';
import { controlRequest, isAlive } from '../daemon/control-socket.ts';

/** What a CLI hardware command asks for: a job of this kind, on the booth these options pick. */
export interface CliJobRequest {
  kind: JobKind;
  params: Record<string, unknown>;
  settings: Settings;
  /** --sim and --size: which booth to build when the command runs the job itself. */
  booth: { sim: boolean; size?: { widthPx: number; heightPx: number } };
  /** Each progress event of the job, as the daemon's websocket would send it. */
  onProgress?: (event: BoothEvents['job.progress']) => void;
}

/**
 * Run a job where the booth is: when a daemon answers on the data directory's control socket, the job
 * is submitted to it and followed (the daemon owns the hardware; --sim and --size are then the daemon's
 * settings); otherwise it runs in this process. Either way the same runner and stages run it, and a stop
 * request cancels it. Resolves with the ended job.
 */
export async function runJob(request: CliJobRequest, ctx: CommandContext): Promise<JobRecord> {
  const socket = dataDirLayout(request.settings.data_dir).controlSocket;
  if (await isAlive(socket)) return runJobInDaemon(socket, request, ctx);
  return runJobInProcess(request, ctx);
}

/** Submit the job to the daemon over its control socket, follow its events, cancel it on a stop request. */
async function runJobInDaemon(socket: string, request: CliJobRequest, ctx: CommandContext): Promise<JobRecord> {
  const reply = <T>(r: Awaited<ReturnType<typeof controlRequest>>): T => {
    if (!r.ok) throw createError(r.code, r.message);
    return r.result as T;
  };
  const { job } = reply<{ job: JobRecord }>(await controlRequest(socket, 'job.submit', { kind: request.kind, params: request.params, requestedBy: ctx.env.USER }));
  ctx.stderr.write(`job ${job.id} runs in the gradebooth daemon of ${request.settings.data_dir}\n`);
  const onStop = (): void => {
    void controlRequest(socket, 'job.cancel', { jobId: job.id }).catch(() => undefined);
  };
  if (ctx.stopSignal.aborted) onStop();
  ctx.stopSignal.addEventListener('abort', onStop, { once: true });
  try {
    const followed = await controlRequest(socket, 'job.follow', { jobId: job.id }, 0, (event) => {
      const e = event as { type?: string; data?: BoothEvents['job.progress'] };
      if (e.type === 'job.progress' && e.data) request.onProgress?.(e.data);
    });
    return reply<{ job: JobRecord }>(followed).job;
  } finally {
    ctx.stopSignal.removeEventListener('abort', onStop);
  }
}

/**
 * Run a job in this process through the same runner the daemon uses: the booth is built and started
 * only after the job's parameters were accepted, and stopped after. A stop request (Ctrl-C, SIGTERM)
 * cancels the job: the LEDs go dark and what it wrote is removed. Resolves with the ended job.
 */
export async function runJobInProcess(request: CliJobRequest, ctx: CommandContext): Promise<JobRecord> {
  const { settings } = request;
  const { dbPath, storeDir } = dataDirLayout(settings.data_dir);
  const db = openDatabase(dbPath);
  try {
    const store = new FileStore(storeDir);
    await store.init();
    const booth = await createBooth(settings, { sim: request.booth.sim, size: request.booth.size, log: (l) => ctx.stderr.write(`${l}\n`) });
    const bus = new EventBus();
    if (request.onProgress) bus.on('job.progress', (e) => request.onProgress?.(e.data));
    const { runner } = createBoothJobs({ booth, db, store, bus, settings, ownJobsOnly: true, log: (m, d) => ctx.stderr.write(`${m} ${JSON.stringify(d ?? {})}\n`) });
    // Refusals (bad parameters, no calibration) come before the booth starts; the booth (and the
    // data-directory lock it holds) is given up all the same.
    let job: JobRecord;
    try {
      job = await runner.submit(request.kind, request.params, ctx.env.USER);
    } catch (err) {
      await booth.stop();
      throw err;
    }
    const onStop = (): void => {
      try {
        runner.cancel(job.id, 'a stop signal');
      } catch {
        // It ended meanwhile: nothing left to cancel.
      }
    };
    try {
      if (ctx.stopSignal.aborted) throw createError('GB_JOB_CANCELLED', 'stopped before the job started');
      ctx.stopSignal.addEventListener('abort', onStop, { once: true });
      await booth.start();
      await runner.start();
      return await runner.wait(job.id);
    } finally {
      ctx.stopSignal.removeEventListener('abort', onStop);
      await runner.stop();
      await booth.stop();
    }
  } finally {
    db.close();
  }
}

/** A job that did not end `done` as the CLI reports it: its error (or the cancel) as a coded error. */
export function jobError(job: JobRecord): Error {
  if (job.state === 'cancelled') return createError('GB_JOB_CANCELLED', `job ${job.id} was cancelled`);
  const code = job.error && job.error.code in errorCodes ? (job.error.code as ErrorCode) : 'GB_INTERNAL';
  return createError(code, job.error?.message ?? `job ${job.id} ended ${job.state}`);
}
