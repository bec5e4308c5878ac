import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodes, isGradeboothError, type ErrorCode } from '../core/errors.ts';
import { KnownRoutes } from './hardening/known-routes.ts';

interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  requestId: string;
  details?: Record<string, unknown>;
}

// Fastify's own error codes for malformed input, mapped onto ours so clients see one vocabulary.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GB_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_BODY_TOO_LARGE: 'GB_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GB_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'GB_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'GB_BAD_REQUEST',
  FST_ERR_VALIDATION: 'GB_VALIDATION',
  FST_ERR_BAD_URL: 'GB_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'GB_BAD_REQUEST',
};

function toBody(error: FastifyError | Error, request: FastifyRequest): ErrorBody {
  if (isGradeboothError(error)) {
    return { statusCode: error.status, code: error.code, message: error.message, requestId: request.id, ...(error.details ? { details: error.details } : {}) };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    return { statusCode: 400, code: 'GB_VALIDATION', message: fe.message, requestId: request.id, details: { problems: fe.validation.map((v) => `${v.instancePath || '(root)'} ${v.message ?? ''}`.trim()) } };
  }
  const mapped = fe.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) return { statusCode: errorCodes[mapped].status, code: mapped, message: fe.message, requestId: request.id };
  // A JSON syntax error thrown by the body parser carries statusCode 400 and no FST code on some paths.
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { statusCode: fe.statusCode, code: 'GB_BAD_REQUEST', message: fe.message, requestId: request.id };
  }
  return { statusCode: 500, code: 'GB_INTERNAL', message: 'internal error; see the daemon log for this request id', requestId: request.id };
}

/**
 * One error handler and one not-found handler: every failure answers `{statusCode, code, message, requestId}`.
 * A path that exists with other methods answers 405 with `Allow` (from every registered route, so routes
 * added later get it too); only unknown paths answer 404.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  const known = new KnownRoutes();
  app.addHook('onRoute', (route) => known.add(route.url, route.method));
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const body = toBody(error, request);
    if (body.statusCode >= 500) request.log.error({ err: error, code: body.code }, 'request failed');
    else request.log.warn({ code: body.code, statusCode: body.statusCode, reason: body.message }, 'request refused');
    return reply.code(body.statusCode).type('application/json').send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = known.allowedMethods(path);
    if (allowed.length > 0) {
      const body: ErrorBody = { statusCode: 405, code: 'GB_METHOD_NOT_ALLOWED', message: `${path} does not accept ${request.method}; it accepts ${allowed.join(', ')}`, requestId: request.id };
      request.log.warn({ code: body.code, statusCode: 405 }, 'method not allowed');
      return reply.code(405).header('allow', allowed.join(', ')).send(body);
    }
    const body: ErrorBody = { statusCode: 404, code: 'GB_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id };
    request.log.warn({ code: body.code, statusCode: 404 }, 'unknown route');
    return reply.code(404).send(body);
  });
}
