import type { FastifyInstance } from 'fastify';
import { authErrorResponses, pageSchema } from '../schemas.ts';
import { jobKinds, jobStates, type JobKind, type JobState } from '../../storage/jobs.ts';
import { boothServices, jobView } from '../services.ts';

const jobIdParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^job-[0-9a-f-]{36}$' } } } as const;
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;
const accepted = { type: 'object', additionalProperties: false, required: ['jobId', 'state'], properties: { jobId: { type: 'string' }, state: { enum: jobStates } } } as const;

/**
 * Jobs: submit a scan (operator) or a calibration (technician), list and read jobs, cancel one, or
 * confirm the manual step it waits for. Progress and state changes also go out on GET /api/events.
 */
export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const by = (request: { principal?: { name: string; role: string } }): string | undefined => (request.principal ? `${request.principal.role}:${request.principal.name}` : undefined);

  app.post(
    '/api/scans',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Scan a card: one side (front by default), or both (front, then back) → 202 with the job id',
        tags: ['jobs'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['barcode'],
          properties: {
            barcode: { type: 'string', minLength: 1, maxLength: 128 },
            side: { enum: ['front', 'back', 'both'], default: 'front' },
            simSeed: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'simulated booth only: which simulated card to place' },
          },
        },
        response: { 202: accepted, ...authErrorResponses, 400: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, 503: { $ref: 'Error#' }, 507: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { barcode, side, simSeed } = request.body as { barcode: string; side: 'front' | 'back' | 'both'; simSeed?: number };
      const params: Record<string, unknown> = { barcode, ...(simSeed === undefined ? {} : { simSeed }) };
      const job = side === 'both' ? await boothServices(app).submit('scan-card', params, by(request)) : await boothServices(app).submit('scan', { ...params, side }, by(request));
      return reply.code(202).header('location', `/api/jobs/${job.id}`).send({ jobId: job.id, state: job.state });
    },
  );

  app.post(
    '/api/calibrations',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Run the booth calibration (every procedure, or only the dark frame) → 202 with the job id',
        tags: ['jobs', 'calibration'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            probeExposureUs: { type: 'integer', minimum: 100, maximum: 1000000 },
            targetP99Fraction: { type: 'number', exclusiveMinimum: 0.05, exclusiveMaximum: 0.95 },
            only: { enum: ['dark'], description: 'only the dark frame (valid a day; the other procedures need each other and run together)' },
          },
        },
        response: { 202: accepted, ...authErrorResponses, 400: { $ref: 'Error#' }, 503: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const job = await boothServices(app).submit('calibration', (request.body ?? {}) as Record<string, unknown>, by(request));
      app.services.audit.record(by(request) ?? 'unknown', 'calibration.start', job.id);
      return reply.code(202).header('location', `/api/jobs/${job.id}`).send({ jobId: job.id, state: job.state });
    },
  );

  app.get(
    '/api/jobs',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Jobs, newest first (paged)',
        tags: ['jobs'],
        querystring: { type: 'object', additionalProperties: false, properties: { state: { enum: jobStates }, kind: { enum: jobKinds }, ...pageQuery } },
        response: { 200: pageSchema({ $ref: 'Job#' }), ...authErrorResponses, 400: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const q = request.query as { state?: JobState; kind?: JobKind; limit: number; offset: number };
      const page = app.services.repos.jobs.list(q);
      return { ...page, items: page.items.map((j) => jobView(app.services, j)) };
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      config: { role: 'operator' },
      schema: { summary: 'One job: state, stage, progress, result or error', tags: ['jobs'], params: jobIdParams, response: { 200: { $ref: 'Job#' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } },
    },
    async (request) => jobView(app.services, app.services.repos.jobs.require((request.params as { id: string }).id)),
  );

  app.post(
    '/api/jobs/:id/cancel',
    {
      config: { role: 'operator' },
      schema: { summary: 'Cancel a queued or running job (LEDs off, its partial files removed)', tags: ['jobs'], params: jobIdParams, response: { 200: { $ref: 'Job#' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 503: { $ref: 'Error#' } } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const job = boothServices(app).cancel(id, by(request));
      app.services.audit.record(by(request) ?? 'unknown', 'job.cancel', id);
      return jobView(app.services, job);
    },
  );

  app.post(
    '/api/jobs/:id/continue',
    {
      config: { role: 'operator' },
      schema: { summary: 'Confirm the manual step a job waits for (card turned over, calibration target placed)', tags: ['jobs'], params: jobIdParams, response: { 200: { $ref: 'Job#' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 503: { $ref: 'Error#' } } },
    },
    async (request) => jobView(app.services, boothServices(app).continue((request.params as { id: string }).id)),
  );
}
