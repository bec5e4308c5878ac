import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';

/** GET /api/status: versions, uptime, hardware, database and disk figures. */
export async function statusRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/status',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Booth status: versions, uptime, hardware states, database and disk',
        tags: ['system'],
        response: { 200: { $ref: 'BoothStatus#' }, ...authErrorResponses },
      },
    },
    async () => app.services.status(),
  );
}
