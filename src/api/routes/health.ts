import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../../core/version.ts';

/** GET /api/health: the one unauthenticated route, for load balancers, kiosks and systemd checks. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/health',
    {
      config: { role: 'public' },
      schema: {
        summary: 'Liveness: is the daemon up and accepting work',
        tags: ['system'],
        security: [],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['status', 'version'],
            properties: { status: { enum: ['ok', 'stopping'] }, version: { type: 'string' } },
          },
        },
      },
    },
    async () => ({ status: app.services.accepting() ? ('ok' as const) : ('stopping' as const), version: packageVersion }),
  );
}
