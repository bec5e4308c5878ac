import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { allProcedures, scanProcedures } from '../../calibration/procedures.ts';
import type { CalibrationRecord } from '../../storage/calibrations.ts';
import { checkFigures, procedureChecks } from '../../calibration/run/checks.ts';
import { guidedSteps } from '../../calibration/run/steps.ts';
import { defaultValidityMs } from '../../calibration/procedures.ts';

const checkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['figure', 'label', 'unit', 'op', 'limit'],
  properties: { figure: { type: 'string' }, label: { type: 'string' }, unit: { type: 'string' }, op: { enum: ['<=', '>=', 'abs<='] }, limit: { type: 'number' } },
} as const;
const checkedSchema = {
  ...checkSchema,
  required: [...checkSchema.required, 'value', 'passed'],
  properties: { ...checkSchema.properties, value: { type: ['number', 'null'] }, passed: { type: 'boolean' } },
} as const;

const recordView = (r: CalibrationRecord | undefined): Record<string, unknown> | null =>
  r ? { id: r.id, version: r.version, passed: r.passed, createdAt: r.createdAt, expiresAt: r.expiresAt, createdBy: r.createdBy, figures: r.figures } : null;
const recordSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['id', 'version', 'passed', 'createdAt', 'expiresAt', 'createdBy', 'figures'],
  properties: { id: { type: 'string' }, version: { type: 'integer' }, passed: { type: 'boolean' }, createdAt: { type: 'string' }, expiresAt: { type: 'string' }, createdBy: { type: ['string', 'null'] }, figures: { type: 'object', additionalProperties: true } },
} as const;

/** GET /api/calibrations/current: where each procedure stands, and whether the booth may scan. */
export async function calibrationRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/calibrations/current',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Each calibration procedure's state (valid, expired, failed, missing), its valid record and expiry, and whether scans may run",
        tags: ['calibration'],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['readyToScan', 'message', 'procedures'],
            properties: {
              readyToScan: { type: 'boolean' },
              message: { type: 'string' },
              procedures: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['procedure', 'state', 'neededToScan', 'expiresAt', 'valid', 'latest', 'message', 'checks'],
                  properties: {
                    procedure: { type: 'string' },
                    state: { enum: ['valid', 'expired', 'failed', 'missing'] },
                    neededToScan: { type: 'boolean' },
                    expiresAt: { type: ['string', 'null'] },
                    valid: recordSchema,
                    latest: recordSchema,
                    message: { type: 'string' },
                    checks: { type: 'array', items: checkedSchema, description: "the latest record's figures against the procedure's limits (empty without a record)" },
                  },
                },
              },
            },
          },
          ...authErrorResponses,
        },
      },
    },
    async () => {
      const repo = app.services.repos.calibrations;
      const check = repo.validFor(scanProcedures);
      const procedures = allProcedures.map((p) => {
        const s = repo.status(p);
        return {
          procedure: p,
          state: s.state,
          neededToScan: (scanProcedures as readonly string[]).includes(p),
          expiresAt: s.valid?.expiresAt ?? null,
          valid: recordView(s.valid),
          latest: recordView(s.latest),
          message: s.message,
          checks: s.latest ? checkFigures(p, s.latest.figures) : [],
        };
      });
      return { readyToScan: check.ok, message: check.message, procedures };
    },
  );

  app.get(
    '/api/calibrations/guide',
    {
      config: { role: 'technician' },
      schema: {
        summary: "The calibration's guided steps (instruction, the target to place, the procedures each feeds) and each procedure's steps, pass/fail limits and validity",
        tags: ['calibration'],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['steps', 'procedures'],
            properties: {
              steps: {
                type: 'array',
                items: { type: 'object', additionalProperties: false, required: ['id', 'instruction', 'target', 'feeds'], properties: { id: { type: 'string' }, instruction: { type: 'string' }, target: { type: 'string' }, feeds: { type: 'array', items: { type: 'string' } } } },
              },
              procedures: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['procedure', 'steps', 'checks', 'validForS', 'neededToScan'],
                  properties: { procedure: { type: 'string' }, steps: { type: 'array', items: { type: 'string' } }, checks: { type: 'array', items: checkSchema }, validForS: { type: 'integer' }, neededToScan: { type: 'boolean' } },
                },
              },
            },
          },
          ...authErrorResponses,
        },
      },
    },
    async () => ({
      steps: guidedSteps.map((g) => ({ id: g.id, instruction: g.instruction, target: g.target, feeds: g.feeds })),
      procedures: allProcedures.map((p) => ({
        procedure: p,
        // verify uses every capture's result; its own target is the relief plate.
        steps: guidedSteps.filter((g) => g.feeds.includes(p)).map((g) => g.id),
        checks: procedureChecks[p].map((c) => ({ ...c })),
        validForS: Math.round(defaultValidityMs[p] / 1000),
        neededToScan: (scanProcedures as readonly string[]).includes(p),
      })),
    }),
  );
}
