import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';
import { SESSION_COOKIE, sessionSecret } from '../auth.ts';
import { validatePin } from '../../storage/operators.ts';

const operatorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'role', 'createdAt', 'createdBy', 'disabledAt'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, role: { enum: ['operator', 'technician'] }, createdAt: { type: 'string' }, createdBy: { type: 'string' },
    disabledAt: { type: ['string', 'null'], description: 'when a technician disabled them (no sign-in); null = enabled' },
  },
} as const;

const sessionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role', 'idleTimeoutS'],
  properties: { name: { type: 'string' }, role: { enum: ['operator', 'technician', 'fleet'] }, idleTimeoutS: { type: 'number' } },
} as const;

function setSessionCookie(reply: FastifyReply, secret: string, maxAgeS: number): void {
  // httpOnly: page scripts never see it; SameSite=Strict: no other site can make the browser send it.
  reply.header('set-cookie', `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`);
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } } as const;

/** Who acts, as the audit log names them: a touchscreen session's operator or a token. */
const actorOf = (request: FastifyRequest): string => {
  const id = request.principal!.id;
  return id.startsWith('op:') ? `operator:${id.slice(3)}` : `token:${id}`;
};

/** Touchscreen sign-in (name + PIN → session cookie), sign-out, and technician operator management. */
export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/api/session',
    {
      config: { role: 'public' },
      schema: {
        summary: 'Sign in at the touchscreen with name and PIN; sets an httpOnly session cookie',
        tags: ['auth'],
        security: [],
        body: { type: 'object', additionalProperties: false, required: ['name', 'pin'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, pin: { type: 'string', maxLength: 16 } } },
        response: { 200: sessionSchema, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { name, pin } = request.body as { name: string; pin: string };
      const { operators, sessions, audit } = app.services;
      try {
        validatePin(pin);
        const operator = await operators.authenticate(name, pin);
        const { secret } = sessions.start(operator.id);
        audit.record(`operator:${operator.id}`, 'session.sign_in', operator.id, { name: operator.name, role: operator.role });
        setSessionCookie(reply, secret, Math.ceil(sessions.idleTimeoutMs / 1000) * 48);
        return { name: operator.name, role: operator.role, idleTimeoutS: sessions.idleTimeoutMs / 1000 };
      } catch (err) {
        audit.record(`ui:${request.ip}`, 'session.sign_in_failed', undefined, { name });
        throw err;
      }
    },
  );

  app.get(
    '/api/session',
    { schema: { summary: 'Who is signed in (session cookie or token)', tags: ['auth'], response: { 200: sessionSchema, ...authErrorResponses } } },
    async (request) => ({ name: request.principal!.name, role: request.principal!.role, idleTimeoutS: app.services.sessions.idleTimeoutMs / 1000 }),
  );

  app.delete(
    '/api/session',
    { config: { role: 'public' }, schema: { summary: 'Sign out (ends the session and clears its cookie)', tags: ['auth'], security: [], response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      const secret = sessionSecret(request);
      if (secret !== undefined) {
        const session = app.services.sessions.use(secret);
        app.services.sessions.end(secret);
        if (session) app.services.audit.record(`operator:${session.operator.id}`, 'session.sign_out', session.operator.id);
      }
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/operators',
    { config: { role: 'technician' }, schema: { summary: 'List touchscreen operators and technicians', tags: ['auth'], response: { 200: { type: 'array', items: operatorSchema }, ...authErrorResponses } } },
    async () => app.services.operators.list(),
  );

  app.post(
    '/api/operators',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Create an operator (or technician) who signs in with name + PIN',
        tags: ['auth'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'pin', 'role'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, pin: { type: 'string', pattern: '^[0-9]{4,8}$' }, role: { enum: ['operator', 'technician'] } },
        },
        response: { 201: operatorSchema, ...authErrorResponses, 400: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { name, pin, role } = request.body as { name: string; pin: string; role: 'operator' | 'technician' };
      const actor = request.principal!.id.startsWith('op:') ? `operator:${request.principal!.id.slice(3)}` : `token:${request.principal!.id}`;
      const created = await app.services.operators.create(name, pin, role, actor);
      app.services.audit.record(actor, 'operator.create', created.id, { name: created.name, role });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/api/operators/:id',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Remove an operator (their sessions end; the record stays for the audit log)',
        tags: ['auth'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } },
        response: { 204: { type: 'null' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!app.services.operators.remove(id)) throw createError('GB_NOT_FOUND', `no operator with id ${id}`);
      const actor = request.principal!.id.startsWith('op:') ? `operator:${request.principal!.id.slice(3)}` : `token:${request.principal!.id}`;
      app.services.audit.record(actor, 'operator.remove', id);
      return reply.code(204).send();
    },
  );

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(
      `/api/operators/:id/${action}`,
      {
        config: { role: 'technician' },
        schema: {
          summary: disabled ? 'Disable an operator: no sign-in and their sessions end, until enabled again' : 'Enable a disabled operator again',
          tags: ['auth'],
          params: idParams,
          response: { 200: operatorSchema, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        // A technician at the touchscreen would lock themselves out mid-task.
        if (disabled && request.principal!.id === `op:${id}`) throw createError('GB_CONFLICT', 'you cannot disable yourself; another technician (or a technician token) can');
        const record = app.services.operators.setDisabled(id, disabled);
        if (!record) throw createError('GB_NOT_FOUND', `no operator with id ${id}`);
        app.services.audit.record(actorOf(request), `operator.${action}`, id, { name: record.name });
        return record;
      },
    );
  }

  app.post(
    '/api/operators/:id/pin',
    {
      config: { role: 'technician' },
      schema: {
        summary: "Set an operator's new PIN (kept as an scrypt hash; clears a wrong-PIN lock; their sessions end)",
        tags: ['auth'],
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['pin'], properties: { pin: { type: 'string', pattern: '^[0-9]{4,8}$' } } },
        response: { 204: { type: 'null' }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { pin } = request.body as { pin: string };
      if (!(await app.services.operators.resetPin(id, pin))) throw createError('GB_NOT_FOUND', `no operator with id ${id}`);
      app.services.audit.record(actorOf(request), 'operator.pin_reset', id);
      return reply.code(204).send();
    },
  );
}
