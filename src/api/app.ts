import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import AjvCompiler from '@fastify/ajv-compiler';
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
import { requestIdFor } from './hardening/request-id.ts';
import type { AuthFailureLimit } from './hardening/auth-limiter.ts';
import { LiveSockets } from './hardening/live-sockets.ts';
import { registerStrictUtf8Parsers } from './hardening/utf8-body.ts';
import { clientErrorHandler } from './hardening/client-errors.ts';
import { jobRoutes } from './routes/jobs.ts';
import { cardRoutes } from './routes/cards.ts';
import { fileRoutes } from './routes/files.ts';
import { calibrationRoutes } from './routes/calibrations.ts';
import { cameraRoutes } from './routes/camera.ts';
import { rigRoutes } from './routes/rig.ts';
import { overrideRoutes } from './routes/overrides.ts';
import { modelRoutes } from './routes/models.ts';
import { jobSchema } from './job-view.ts';

export interface AppOptions {
  bodyLimitBytes: number;
  /** Longest a client may take to send its headers, ms (default 10 s). */
  headersTimeoutMs?: number;
  /** Longest a client may take to send a whole request, body included, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Failed authentications a client may make per window before it gets 429 (default 20 per minute). */
  authFailureLimit?: AuthFailureLimit;
  /** How often open websockets re-check that their token or session is still live, ms (default 500). */
  authRecheckMs?: number;
  logger: FastifyServerOptions['loggerInstance'] | false;
  /** The built touchscreen UI (index.html and its assets); default: ui-dist/ of the installed package. */
  uiDir?: string;
}

/**
 * Build the HTTP API: the services are decorated onto the instance, routes are registered explicitly,
 * every route has request and response schemas, and one error handler answers with stable codes.
 */
/**
 * JSON bodies are validated as sent (a string "5" is not the number 5), while the path and the query string
 * are text by nature and are coerced to their schema's types (`?limit=10`, `/api/cards/7`): one Ajv pool
 * without and one with coercion, chosen by the part of the request.
 */
function partAwareValidator(): NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']> {
  const pool = AjvCompiler();
  return (externalSchemas, ajvOptions) => {
    const options = ajvOptions as { customOptions: Record<string, unknown> };
    const strict = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
    const coercing = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: true } });
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
}

export async function buildApp(services: ApiServices, options: AppOptions): Promise<FastifyInstance> {
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const requestTimeoutMs = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeoutMs);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIdFor,
    // A request whose headers or body never complete was held open for minutes (issue 12). Node checks
    // the deadlines every connectionsCheckingInterval; keep that well under the shortest deadline.
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeoutMs / 4)) },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: partAwareValidator() } },
  });
  app.server.removeAllListeners('clientError');
  app.server.on('clientError', clientErrorHandler(app.log));
  app.decorate('services', services);
  const liveSockets = new LiveSockets();
  app.decorate('liveSockets', liveSockets);
  app.addHook('onReady', async () => {
    liveSockets.startRechecks(options.authRecheckMs ?? 500, (owner) =>
      owner.kind === 'token' ? services.tokens.isLive(owner.tokenId) : services.sessions.isLive(owner.secret));
  });
  app.addHook('onClose', async () => liveSockets.stopRechecks());
  registerStrictUtf8Parsers(app);
  app.addSchema(errorSchema);
  app.addSchema(deviceStatusSchema);
  app.addSchema(boothStatusSchema);
  app.addSchema(jobSchema);
  // OpenAPI lists the role each route needs (the auth hook enforces the same config.role).
  app.addHook('onRoute', (route) => {
    const role = (route.config as { role?: string } | undefined)?.role ?? 'operator';
    if (route.schema && !('hide' in route.schema && route.schema.hide)) {
      const schema = route.schema as { description?: string; 'x-role'?: string };
      schema.description = `${schema.description ? `${schema.description} ` : ''}Role: ${role === 'public' ? 'none (public)' : `${role} or higher`}.`;
    }
  });
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
  registerAuth(app, options.authFailureLimit);
  await app.register(healthRoutes);
  await app.register(statusRoutes);
  await app.register(tokenRoutes);
  await app.register(eventRoutes);
  await app.register(sessionRoutes);
  await app.register(uiRoutes, { uiDir: options.uiDir });
  await app.register(jobRoutes);
  await app.register(cardRoutes);
  await app.register(fileRoutes);
  await app.register(calibrationRoutes);
  await app.register(modelRoutes);
  await app.register(cameraRoutes);
  await app.register(rigRoutes);
  await app.register(overrideRoutes);
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
