import type { ModelsStatePayload } from '../sync/payloads.ts';
import type { EventBus } from '../core/events.ts';
import type { TokenRepository, TokenRecord, Role } from '../storage/tokens.ts';
import type { AuditLog } from '../storage/audit-log.ts';
import type { OperatorRepository, SessionRepository } from '../storage/operators.ts';
import type { BoothStatus } from './status.ts';
import type { LiveSockets } from './hardening/live-sockets.ts';
import type { FastifyInstance as Fastify } from 'fastify';
import type { Repositories } from '../booth-jobs.ts';
import type { JobRunner } from '../jobs/runner.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { JobRecord } from '../storage/jobs.ts';
import type { JobView } from './job-view.ts';
import { createError } from '../core/errors.ts';
import type { CameraPreview, PreviewOptions } from '../capture/preview.ts';
import type { RigDiagnostics } from '../hardware/rig/diagnostics.ts';

/** What routes may use. Routes never touch hardware or SQL directly: they call these. */
export interface ApiServices {
  bus: EventBus;
  tokens: TokenRepository;
  audit: AuditLog;
  operators: OperatorRepository;
  sessions: SessionRepository;
  status(): Promise<BoothStatus>;
  /** False while stopping: new work is refused with GB_SHUTTING_DOWN. */
  accepting(): boolean;
  /** The data directory's repositories (jobs, cards, scans, frames, blobs, calibrations). */
  repos: Repositories;
  /** The content-addressed file store (GET /api/files streams from it). */
  store: FileStore;
  /** The booth's job runner; undefined when no booth is configured (job submissions answer GB_HW_ABSENT). */
  jobs: JobRunner | undefined;
  /** One camera preview through the booth (while no job holds the hardware); absent without a booth. */
  cameraPreview?: (options: PreviewOptions) => Promise<CameraPreview>;
  /** The technician's rig diagnostics through the real driver (while no job holds the hardware); absent without a booth. */
  rigDiagnostics?: RigDiagnostics;
  /** Model rollout states (GET /api/models); absent in apps built without it. */
  models?: () => ModelsStatePayload;
}

/** A job as the API shows it: the record and, if it waits for a person, what for. */
export function jobView(services: ApiServices, job: JobRecord): JobView {
  return { ...job, waitingFor: services.jobs?.waitingFor(job.id) ?? null };
}

/** The job runner, or GB_HW_ABSENT when this daemon has no booth to run jobs on. */
export function boothServices(app: Fastify): JobRunner {
  if (!app.services.accepting()) throw createError('GB_SHUTTING_DOWN', 'the booth is stopping; try again after it restarts');
  if (!app.services.jobs) throw createError('GB_HW_ABSENT', 'this daemon has no booth (camera and LED rig) configured, so it runs no scans or calibrations; see hardware.* in the settings');
  return app.services.jobs;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: ApiServices;
    /** Open event websockets by owner, closed when their token is revoked. */
    liveSockets: LiveSockets;
  }
  interface FastifyRequest {
    /** The authenticated token, set by the auth hook; undefined on public routes. */
    principal: TokenRecord | undefined;
    /** The touchscreen session's cookie secret when the request was authenticated by a session. */
    sessionSecret: string | undefined;
  }
  interface FastifyContextConfig {
    /** Lowest role allowed; `public` routes need no token. Absent = operator. */
    role?: Role | 'public';
    /** The route accepts the token as `?access_token=` (the websocket route only: browsers cannot set its headers). */
    queryToken?: boolean;
  }
}
