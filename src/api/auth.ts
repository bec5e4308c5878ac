import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, type GradeboothError } from '../core/errors.ts';
import type { Role, TokenRecord } from '../storage/tokens.ts';
import { AuthFailureLimiter, type AuthFailureLimit } from './hardening/auth-limiter.ts';

// Operator < technician: a technician may do all an operator may. The fleet role is separate: it is for
// remote commands over MQTT and may read status, but does not operate the booth's UI.
const allowed: Record<Role, readonly Role[]> = {
  operator: ['operator', 'technician'],
  technician: ['technician'],
  fleet: ['fleet', 'technician'],
};

/**
 * The bearer token from the Authorization header, or from `access_token` on the websocket route only
 * (browsers can't set headers there); any other route ignores the query parameter, since URLs end up in
 * logs and browser history.
 */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw createError('GB_AUTH_MISSING', 'Authorization header must be "Bearer <token>"');
    return m[1];
  }
  if (request.routeOptions.config.queryToken !== true || request.ws !== true) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/** The token id a presented token claims (`gb_<id>_<secret>`), for the audit log; never the secret. */
const claimedTokenId = (token: string): string | undefined => /^gb_([0-9a-f]{12})_/.exec(token)?.[1];

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
export function registerAuth(app: FastifyInstance, limit?: AuthFailureLimit): void {
  const limiter = new AuthFailureLimiter(limit);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('sessionSecret', undefined);

  // Failed credentials are audited (who tried, which token id they claimed) until the client is
  // blocked; then one `auth.blocked` entry, so a guesser cannot flood the audit table.
  const refuse = (request: FastifyRequest, err: GradeboothError, token: string | undefined): GradeboothError => {
    const client = request.ip;
    const blockedNow = limiter.fail(client);
    const tokenId = token === undefined ? undefined : claimedTokenId(token);
    app.services.audit.record(`client:${client}`, 'auth.failed', tokenId, { client, code: err.code, ...(tokenId ? { tokenId } : {}), route: request.routeOptions.url });
    if (blockedNow) app.services.audit.record(`client:${client}`, 'auth.blocked', undefined, { client, retryAfterS: limiter.retryAfterS(client) });
    return err;
  };

  app.addHook('onRequest', async (request, reply) => {
    const need = request.routeOptions.config.role ?? 'operator';
    // Unknown routes answer 404 to everyone: there is nothing behind them to protect.
    if (need === 'public' || request.is404) return;
    const retryAfterS = limiter.retryAfterS(request.ip);
    if (retryAfterS > 0) {
      void reply.header('retry-after', String(retryAfterS));
      throw createError('GB_TOO_MANY_REQUESTS', `too many failed authentications from ${request.ip}: try again in ${retryAfterS} s`);
    }
    const token = presentedToken(request);
    let record: TokenRecord | undefined;
    if (token === undefined) {
      // The touchscreen signs in with name + PIN and carries a session cookie instead of a token.
      const secret = sessionSecret(request);
      if (secret === undefined) throw createError('GB_AUTH_MISSING', 'this route needs "Authorization: Bearer <token>" (create one with `gradebooth token create`) or a signed-in session');
      const session = app.services.sessions.use(secret);
      if (!session) throw refuse(request, createError('GB_AUTH_INVALID', 'the session has ended (signed out, or locked after inactivity): sign in again'), undefined);
      const o = session.operator;
      record = { id: `op:${o.id}`, name: o.name, role: o.role, createdAt: o.createdAt, lastUsedAt: null, revokedAt: null, expiresAt: session.expiresAt };
      request.sessionSecret = secret;
    } else {
      record = app.services.tokens.verify(token);
      if (!record) throw refuse(request, createError('GB_AUTH_INVALID', 'the bearer token is unknown, revoked or expired'), token);
    }
    if (!allowed[need].includes(record.role)) {
      throw createError('GB_FORBIDDEN', `this route needs the ${need} role; the token "${record.name}" has ${record.role}`);
    }
    request.principal = record;
    if (token !== undefined) app.services.tokens.touch(record.id);
  });
}
