import type { FastifyInstance } from 'fastify';
import { createError } from '../../core/errors.ts';
import { authErrorResponses } from '../schemas.ts';
import { modelsStatePayloadSchema } from '../../sync/payloads.ts';

// The same document as the retained fleet topic `models/state` (docs/fleet.md), without its $id.
const { $id: _id, ...modelsStateResponse } = modelsStatePayloadSchema;

/** GET /api/models: the active grading model and every model the fleet offered this booth, with its rollout state. */
export async function modelRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/models',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Model rollout: the active model and each offered model (downloading, refused, shadow, passed, failed, active, retired, rolled-back) with its shadow/probation figures',
        tags: ['models'],
        response: { 200: modelsStateResponse, ...authErrorResponses },
      },
    },
    async () => {
      const models = app.services.models;
      if (!models) throw createError('GB_NOT_FOUND', 'this daemon has no model rollout');
      return models();
    },
  );
}
