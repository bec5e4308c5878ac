import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../core/errors.ts';
import type { Role } from '../storage/tokens.ts';

// Operator < technician: a technician may do all an operator may. The fleet role is separate: it is for
// remote commands over MQTT and may read status, but does not operate the booth's UI.
const allowed: Record<Role, readonly Role[]> = {
  operator: ['operator', 'technician'],
  technician: ['technician'],
  fleet: ['fleet', 'technician'],
};

/** The bearer token from the Authorization header, or from `access_token` for websockets (browsers can't set headers there). */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw createError('GB_AUTH_MISSING', 'Authorization header must be "Bearer <token>"');
    return m[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' && request.headers.upgrade?.toLowerCase() === 'websocket' ? fromQuery : undefined;
}

/** Install the authentication hook: every route needs a valid token unless its config says `role: 'public'`. */
export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config.role ?? 'operator';
    // Unknown routes answer 404 to everyone: there is nothing behind them to protect.
    if (need === 'public' || request.is404) return;
    const token = presentedToken(request);
    if (token === undefined) throw createError('GB_AUTH_MISSING', 'this route needs "Authorization: Bearer <token>"; create one with `gradebooth token create`');
    const record = app.services.tokens.verify(token);
    if (!record) throw createError('GB_AUTH_INVALID', 'the bearer token is unknown or revoked');
    if (!allowed[need].includes(record.role)) {
      throw createError('GB_FORBIDDEN', `this route needs the ${need} role; the token "${record.name}" has ${record.role}`);
    }
    request.principal = record;
    app.services.tokens.touch(record.id);
  });
}
