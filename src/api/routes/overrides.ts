import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';
import { overrideReasons, overrideSubgrades, type OverrideReason, type OverrideRecord, type OverrideSubgrade } from '../../storage/grade-overrides.ts';

export const overrideSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'gradeId', 'cardId', 'subgrade', 'machineValue', 'value', 'reason', 'note', 'createdBy', 'createdByName', 'createdAt'],
  properties: {
    id: { type: 'string' },
    gradeId: { type: 'string', description: 'the machine grade (grades row) this override disagrees with' },
    cardId: { type: 'integer' },
    subgrade: { enum: overrideSubgrades },
    machineValue: { type: ['number', 'null'], description: "the machine's subgrade in that grade (null: not graded)" },
    value: { type: 'number', description: "the person's subgrade, 1..10 in half points" },
    reason: { enum: overrideReasons },
    note: { type: 'string' },
    createdBy: { type: 'string' },
    createdByName: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const;

const gradeParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^grade-[0-9a-f-]{36}$' } } } as const;

/** Who acts, as the audit log names them: a touchscreen session's operator or a token. */
const actorOf = (request: FastifyRequest): string => {
  const id = request.principal!.id;
  return id.startsWith('op:') ? `operator:${id.slice(3)}` : `token:${id}`;
};

/**
 * An operator's override of one subgrade with a reason: stored beside the machine's grade (which it
 * names and never changes), audited, listed under the card's grade in the history.
 */
export async function overrideRoutes(app: FastifyInstance): Promise<void> {
  app.post(
    '/api/grades/:id/overrides',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Override one subgrade of a machine grade with a reason (kept beside the machine's grade, never replacing it)",
        tags: ['cards'],
        params: gradeParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subgrade', 'value', 'reason'],
          properties: {
            subgrade: { enum: overrideSubgrades },
            value: { type: 'number', minimum: 1, maximum: 10, multipleOf: 0.5, description: '1..10 in half points' },
            reason: { enum: overrideReasons, description: 'missed-defect: the machine missed a defect; not-a-defect: it counted one that is not (dust, print, foil); centering-off: centering measured wrong; card-moved: the card moved or lay wrong; other: say what in the note' },
            note: { type: 'string', maxLength: 500 },
          },
        },
        response: { 201: overrideSchema, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = request.body as { subgrade: OverrideSubgrade; value: number; reason: OverrideReason; note?: string };
      const actor = actorOf(request);
      const created: OverrideRecord = app.services.repos.overrides.add({ gradeId: id, ...body, createdBy: actor, createdByName: request.principal!.name });
      app.services.audit.record(actor, 'grade.override', created.id, { gradeId: id, cardId: created.cardId, subgrade: created.subgrade, machineValue: created.machineValue, value: created.value, reason: created.reason, note: created.note });
      app.services.bus.emit('grade.override', { overrideId: created.id, gradeId: id, cardId: created.cardId, subgrade: created.subgrade, value: created.value });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/grades/:id/overrides',
    {
      config: { role: 'operator' },
      schema: {
        summary: "A machine grade's overrides, oldest first (the last per subgrade is the current one)",
        tags: ['cards'],
        params: gradeParams,
        response: { 200: { type: 'array', items: overrideSchema }, ...authErrorResponses, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!app.services.repos.grades.get(id)) throw createError('GB_NOT_FOUND', `no grade with id ${id}`);
      return app.services.repos.overrides.forGrade(id);
    },
  );
}
