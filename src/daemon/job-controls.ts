import { createError } from '../core/errors.ts';
import type { BoothEventEnvelope, EventBus } from '../core/events.ts';
import type { JobRunner } from '../jobs/runner.ts';
import type { JobRepository } from '../storage/jobs.ts';
import type { ControlHandler } from './control-socket.ts';

/** Job kinds a CLI command may submit over the control socket. */
const submittable = ['scan', 'scan-card', 'calibration'] as const;

/**
 * The control socket's job commands, for CLI commands that find a daemon holding the data directory:
 * `job.submit {kind, params, requestedBy}` queues a job (the same checks as the API);
 * `job.follow {jobId}` streams the job's progress and state events and answers with the ended job;
 * `job.cancel {jobId}` cancels it. The socket is the daemon user's (mode 0600), so it is trusted like a
 * technician.
 */
export function jobControls(runner: () => JobRunner | undefined, jobs: () => JobRepository, bus: EventBus): Map<string, ControlHandler> {
  const need = (): JobRunner => {
    const r = runner();
    if (!r) throw createError('GB_HW_ABSENT', 'this daemon has no booth (camera and LED rig) configured, so it runs no jobs');
    return r;
  };
  const jobId = (params: Record<string, unknown>): string => {
    if (typeof params.jobId !== 'string' || !/^job-[0-9a-f-]{36}$/.test(params.jobId)) throw createError('GB_VALIDATION', `jobId: expected "job-<uuid>", got ${JSON.stringify(params.jobId)}`);
    return params.jobId;
  };
  return new Map<string, ControlHandler>([
    [
      'job.submit',
      async (params) => {
        const kind = params.kind;
        if (typeof kind !== 'string' || !(submittable as readonly string[]).includes(kind)) throw createError('GB_VALIDATION', `kind: expected one of ${submittable.join(', ')}, got ${JSON.stringify(kind)}`);
        const jobParams = params.params && typeof params.params === 'object' && !Array.isArray(params.params) ? (params.params as Record<string, unknown>) : {};
        const by = typeof params.requestedBy === 'string' ? `cli:${params.requestedBy.slice(0, 64)}` : 'cli';
        const job = await need().submit(kind as (typeof submittable)[number], jobParams, by);
        return { job };
      },
    ],
    [
      'job.follow',
      async (params, stream) => {
        const id = jobId(params);
        const r = need();
        // Subscribed before reading the state, so no event between the two is missed.
        const forward = (e: BoothEventEnvelope): void => {
          if ((e.type === 'job.progress' || e.type === 'job.state') && (e.data as { jobId: string }).jobId === id) stream.send(e);
        };
        const off = bus.onAny(forward);
        try {
          jobs().require(id);
          const ended = await new Promise<Awaited<ReturnType<JobRunner['wait']>> | undefined>((resolve, reject) => {
            stream.closed.addEventListener('abort', () => resolve(undefined), { once: true });
            r.wait(id).then(resolve, reject);
          });
          return { job: ended ?? jobs().require(id) };
        } finally {
          off();
        }
      },
    ],
    ['job.cancel', async (params) => ({ job: need().cancel(jobId(params), 'the command line') })],
  ]);
}
