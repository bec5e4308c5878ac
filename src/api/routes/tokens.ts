import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';

const tokenSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'role', 'createdAt', 'lastUsedAt', 'revokedAt', 'expiresAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { enum: ['operator', 'technician', 'fleet'] },
    createdAt: { type: 'string' },
    lastUsedAt: { type: ['string', 'null'] },
    revokedAt: { type: ['string', 'null'] },
    expiresAt: { type: ['string', 'null'] },
  },
} as const;

/** Technician token management over the API (the CLI does the same on the booth itself). */
export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/tokens',
    {
      config: { role: 'technician' },
      schema: { summary: 'List API tokens (never their secrets)', tags: ['auth'], response: { 200: { type: 'array', items: tokenSchema }, ...authErrorResponses } },
    },
    async () => app.services.tokens.list(),
  );

  app.post(
    '/api/tokens',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Create a token; the secret is returned once',
        tags: ['auth'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role', 'name'],
          properties: {
            role: { enum: ['operator', 'technician'] },
            name: { type: 'string', minLength: 1, maxLength: 64 },
            expiresInS: { type: 'integer', minimum: 1, maximum: 10 * 365 * 86400, description: 'the token stops working after this many seconds (default: never)' },
          },
        },
        response: {
          201: { type: 'object', additionalProperties: false, required: ['token', 'record'], properties: { token: { type: 'string' }, record: tokenSchema } },
          ...authErrorResponses,
          400: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const { role, name, expiresInS } = request.body as { role: 'operator' | 'technician'; name: string; expiresInS?: number };
      const created = app.services.tokens.create(role, name, new Date(), expiresInS);
      app.services.audit.record(`token:${request.principal?.id}`, 'token.create', created.record.id, { role, name, expiresAt: created.record.expiresAt });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Revoke a token',
        tags: ['auth'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
        response: { 204: { type: 'null' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!app.services.tokens.revoke(id)) throw createError('GB_NOT_FOUND', `no live token with id ${id}`);
      app.services.audit.record(`token:${request.principal?.id}`, 'token.revoke', id);
      // Its open websockets go at once; they were authorised by a token that no longer is.
      app.liveSockets.closeToken(id);
      return reply.code(204).send();
    },
  );
}
