import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { allProcedures, scanProcedures } from '../../calibration/procedures.ts';
import type { CalibrationRecord } from '../../storage/calibrations.ts';

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
                  required: ['procedure', 'state', 'neededToScan', 'expiresAt', 'valid', 'latest', 'message'],
                  properties: {
                    procedure: { type: 'string' },
                    state: { enum: ['valid', 'expired', 'failed', 'missing'] },
                    neededToScan: { type: 'boolean' },
                    expiresAt: { type: ['string', 'null'] },
                    valid: recordSchema,
                    latest: recordSchema,
                    message: { type: 'string' },
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
        };
      });
      return { readyToScan: check.ok, message: check.message, procedures };
    },
  );
}
