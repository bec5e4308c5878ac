import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import { packageVersion } from '../core/version.ts';
import type { ApiServices } from './services.ts';
import { registerAuth } from './auth.ts';
import { registerErrorHandling } from './error-handler.ts';
import { deviceStatusSchema, errorSchema } from './schemas.ts';
import { boothStatusSchema } from './status.ts';
import { healthRoutes } from './routes/health.ts';
import { statusRoutes } from './routes/status.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { eventRoutes } from './routes/events.ts';
import { sessionRoutes } from './routes/session.ts';
import { uiRoutes } from './routes/ui.ts';

export interface AppOptions {
  bodyLimitBytes: number;
  logger: FastifyServerOptions['loggerInstance'] | false;
  /** The built touchscreen UI (index.html and its assets); default: ui-dist/ of the installed package. */
  uiDir?: string;
}

/**
 * Build the HTTP API: the services are decorated onto the instance, routes are registered explicitly,
 * every route has request and response schemas, and one error handler answers with stable codes.
 */
export async function buildApp(services: ApiServices, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.decorate('services', services);
  app.addSchema(errorSchema);
  app.addSchema(deviceStatusSchema);
  app.addSchema(boothStatusSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'gradebooth', version: packageVersion, description:
          'Trading-card grading booth API. Live events: websocket GET /api/events (Authorization header or ?access_token=), ' +
          'one JSON object per message: {id, type, at, data}, after a first {type: "hello"}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  registerErrorHandling(app);
  // Before the auth hook: the plugin's own onRequest hook marks upgrade requests so that its onResponse
  // hook destroys the raw socket of a refused handshake. Registered after auth, a 401 skipped the marking
  // and every refused handshake left a socket in CLOSE-WAIT (issue 12).
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  registerAuth(app);
  await app.register(healthRoutes);
  await app.register(statusRoutes);
  await app.register(tokenRoutes);
  await app.register(eventRoutes);
  await app.register(sessionRoutes);
  await app.register(uiRoutes, { uiDir: options.uiDir });
  app.get(
    '/api/openapi.json',
    {
      config: { role: 'operator' },
      schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['system'], hide: true, response: { 200: { type: 'object', additionalProperties: true } } },
    },
    async () => app.swagger(),
  );
  return app;
}
