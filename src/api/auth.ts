import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../core/errors.ts';
import type { Role, TokenRecord } from '../storage/tokens.ts';

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

/** Name of the touchscreen session cookie (httpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'gb_session';

/** The session cookie's value, if the request carries one. */
export function sessionSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Install the authentication hook: every route needs a valid token unless its config says `role: 'public'`. */
export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config.role ?? 'operator';
    // Unknown routes answer 404 to everyone: there is nothing behind them to protect.
    if (need === 'public' || request.is404) return;
    const token = presentedToken(request);
    let record: TokenRecord | undefined;
    if (token === undefined) {
      // The touchscreen signs in with name + PIN and carries a session cookie instead of a token.
      const secret = sessionSecret(request);
      if (secret === undefined) throw createError('GB_AUTH_MISSING', 'this route needs "Authorization: Bearer <token>" (create one with `gradebooth token create`) or a signed-in session');
      const session = app.services.sessions.use(secret);
      if (!session) throw createError('GB_AUTH_INVALID', 'the session has ended (signed out, or locked after inactivity): sign in again');
      const o = session.operator;
      record = { id: `op:${o.id}`, name: o.name, role: o.role, createdAt: o.createdAt, lastUsedAt: null, revokedAt: null };
    } else {
      record = app.services.tokens.verify(token);
      if (!record) throw createError('GB_AUTH_INVALID', 'the bearer token is unknown or revoked');
    }
    if (!allowed[need].includes(record.role)) {
      throw createError('GB_FORBIDDEN', `this route needs the ${need} role; the token "${record.name}" has ${record.role}`);
    }
    request.principal = record;
    if (token !== undefined) app.services.tokens.touch(record.id);
  });
}
