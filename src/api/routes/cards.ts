import { createError } from '../../core/errors.ts';
import type { FastifyInstance } from 'fastify';
import { authErrorResponses, pageSchema } from '../schemas.ts';
import { pageQuery } from './jobs.ts';
import type { ScanRecord } from '../../storage/scans.ts';
import type { GradeRecord } from '../../storage/grades.ts';
import type { ApiServices } from '../services.ts';
import { overrideSchema } from './overrides.ts';

const mapKinds = ['normals', 'albedo', 'depth'] as const;

/** A stored file as the API links it. */
function fileView(services: ApiServices, sha256: string): { sha256: string; mediaType: string; sizeBytes: number; url: string } {
  const blob = services.repos.blobs.get(sha256);
  return { sha256, mediaType: blob?.mediaType ?? 'application/octet-stream', sizeBytes: blob?.sizeBytes ?? 0, url: `/api/files/${sha256}` };
}

/** A scan side as listed under its card: its maps (once published) and when. */
export function scanSummaryView(services: ApiServices, scan: ScanRecord): Record<string, unknown> {
  return {
    id: scan.id,
    jobId: scan.jobId,
    side: scan.side,
    createdAt: scan.createdAt,
    complete: scan.maps !== null,
    maps: scan.maps ? mapKinds.map((kind) => ({ kind, ...fileView(services, scan.maps![kind]) })) : [],
  };
}

/** A stored grade as listed under its card: the subgrades, the 1000-point score and the report. */
export function gradeView(services: ApiServices, g: GradeRecord): Record<string, unknown> {
  return {
    id: g.id,
    jobId: g.jobId,
    createdAt: g.createdAt,
    grade: g.overall,
    score1000: g.score1000,
    subgrades: { centering: g.centering, corners: g.corners, edges: g.edges, surface: g.surface },
    defects: g.defects.map((d) => ({ side: d.side, category: d.category, type: d.kind, centerMm: [d.xMm, d.yMm], widthMm: d.widthMm, lengthMm: d.lengthMm, depthUm: d.depthUm, image: d.imageSha256 ? fileView(services, d.imageSha256) : null })),
    report: g.reportSha256 ? fileView(services, g.reportSha256) : null,
    // People's overrides beside the machine's subgrades (the grade above is the machine's, unchanged).
    overrides: services.repos.overrides.forGrade(g.id),
  };
}

const fileSchema = { type: 'object', additionalProperties: false, required: ['sha256', 'mediaType', 'sizeBytes', 'url'], properties: { sha256: { type: 'string' }, mediaType: { type: 'string' }, sizeBytes: { type: 'integer' }, url: { type: 'string' } } } as const;
const mapSchema = { type: 'object', additionalProperties: false, required: ['kind', 'sha256', 'mediaType', 'sizeBytes', 'url'], properties: { kind: { enum: mapKinds }, ...fileSchema.properties } } as const;
const scanSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'jobId', 'side', 'createdAt', 'complete', 'maps'],
  properties: { id: { type: 'string' }, jobId: { type: 'string' }, side: { enum: ['front', 'back'] }, createdAt: { type: 'string' }, complete: { type: 'boolean' }, maps: { type: 'array', items: mapSchema } },
} as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const gradeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'jobId', 'createdAt', 'grade', 'score1000', 'subgrades', 'defects', 'report', 'overrides'],
  properties: {
    id: { type: 'string' },
    jobId: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    grade: { type: 'number' },
    score1000: nullableNumber,
    subgrades: { type: 'object', additionalProperties: false, required: ['centering', 'corners', 'edges', 'surface'], properties: { centering: nullableNumber, corners: nullableNumber, edges: nullableNumber, surface: nullableNumber } },
    defects: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['side', 'category', 'type', 'centerMm', 'widthMm', 'lengthMm', 'depthUm', 'image'],
        properties: { side: { type: 'string' }, category: { type: 'string' }, type: { type: 'string' }, centerMm: { type: 'array', items: { type: 'number' } }, widthMm: nullableNumber, lengthMm: nullableNumber, depthUm: nullableNumber, image: { anyOf: [fileSchema, { type: 'null' }] } },
      },
    },
    report: { anyOf: [fileSchema, { type: 'null' }] },
    overrides: { type: 'array', items: overrideSchema, description: "operators' overrides of a subgrade, oldest first, beside the machine's grade" },
  },
} as const;
const cardSchema = { type: 'object', additionalProperties: false, required: ['id', 'barcode', 'createdAt'], properties: { id: { type: 'integer' }, barcode: { type: 'string' }, createdAt: { type: 'string' } } } as const;
/** A card with its scans and its grades (newest first). */
const cardWithScansSchema = {
  ...cardSchema,
  required: [...cardSchema.required, 'scans', 'grades'],
  properties: { ...cardSchema.properties, scans: { type: 'array', items: scanSummarySchema }, grades: { type: 'array', items: gradeSchema } },
} as const;

function cardView(services: ApiServices, card: { id: number; barcode: string; createdAt: string }): Record<string, unknown> {
  return { ...card, scans: services.repos.scans.forCard(card.id).map((s) => scanSummaryView(services, s)), grades: services.repos.grades.listForCard(card.id).map((g) => gradeView(services, g)) };
}

/** An ISO 8601 date or UTC time as the booth writes them (2026-12-06 or 2026-12-06T10:00:00Z / .000Z). */
const isoTime = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?Z)?$' } as const;

/** Cards by barcode, a card with its scans, and one scan with its maps, frames, calibrations and timings. */
export async function cardRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/cards',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Cards, most recently scanned or graded first (paged); ?barcode= finds one, ?search= part of a barcode; from/to (ISO date or time) and minGrade/maxGrade/graded filter the history',
        tags: ['cards'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            barcode: { type: 'string', minLength: 1, maxLength: 128 },
            search: { type: 'string', minLength: 1, maxLength: 64 },
            from: isoTime,
            to: isoTime,
            minGrade: { type: 'number', minimum: 1, maximum: 10 },
            maxGrade: { type: 'number', minimum: 1, maximum: 10 },
            graded: { type: 'boolean' },
            ...pageQuery,
          },
        },
        response: {
          200: pageSchema(cardWithScansSchema),
          ...authErrorResponses,
          400: { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const q = request.query as { barcode?: string; search?: string; from?: string; to?: string; minGrade?: number; maxGrade?: number; graded?: boolean; limit: number; offset: number };
      // A date alone means its start (UTC), so that from=2026-12-06&to=2026-12-07 is that day.
      const at = (name: string, v: string | undefined): string | undefined => {
        if (v === undefined) return undefined;
        const t = new Date(v);
        // The pattern lets 2026-02-31 through; the calendar does not.
        if (Number.isNaN(t.getTime()) || !t.toISOString().startsWith(v.slice(0, 10))) throw createError('GB_VALIDATION', `${name}: not a calendar date: ${v}`);
        return t.toISOString();
      };
      const page = app.services.repos.cards.list({ ...q, from: at('from', q.from), to: at('to', q.to) });
      return { ...page, items: page.items.map((c) => cardView(app.services, c)) };
    },
  );

  app.get(
    '/api/cards/:id',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'One card with its scans and grades',
        tags: ['cards'],
        // Path parameters arrive as text and the API does not coerce types: a card id is digits.
        params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } } },
        response: {
          200: cardWithScansSchema,
          ...authErrorResponses,
          400: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const card = app.services.repos.cards.require(Number((request.params as { id: string }).id));
      return cardView(app.services, card);
    },
  );

  app.get(
    '/api/scans/:id',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'One scanned side: its maps, frames, the calibration records it used, and its timings',
        tags: ['cards'],
        params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^scan-[0-9a-f-]{36}$' } } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'jobId', 'cardId', 'barcode', 'side', 'createdAt', 'complete', 'maps', 'frames', 'calibrations', 'timingsMs', 'summary'],
            properties: {
              ...scanSummarySchema.properties,
              cardId: { type: ['integer', 'null'] },
              barcode: { type: ['string', 'null'] },
              frames: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['lightIndex', 'ledChannel', 'exposureUs', 'gainDb', 'width', 'height', 'pixelFormat', 'timestampUs', 'file'],
                  properties: {
                    lightIndex: { type: 'integer' }, ledChannel: { type: ['integer', 'null'] }, exposureUs: { type: 'integer' }, gainDb: { type: 'number' },
                    width: { type: 'integer' }, height: { type: 'integer' }, pixelFormat: { type: 'string' }, timestampUs: { type: 'integer' }, file: fileSchema,
                  },
                },
              },
              calibrations: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['procedure', 'id', 'version', 'passed', 'createdAt', 'expiresAt'],
                  properties: { procedure: { type: 'string' }, id: { type: 'string' }, version: { type: ['integer', 'null'] }, passed: { type: ['boolean', 'null'] }, createdAt: { type: ['string', 'null'] }, expiresAt: { type: ['string', 'null'] } },
                },
              },
              timingsMs: { type: 'object', additionalProperties: { type: 'number' } },
              summary: { type: ['object', 'null'], additionalProperties: true },
            },
          },
          ...authErrorResponses,
          400: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
        },
      },
    },
    async (request) => {
      const { repos } = app.services;
      const scan = repos.scans.require((request.params as { id: string }).id);
      const card = scan.cardId === null ? undefined : repos.cards.get(scan.cardId);
      const calibrations = Object.entries(scan.calibrations).map(([procedure, id]) => {
        const r = repos.calibrations.get(id);
        return { procedure, id, version: r?.version ?? null, passed: r?.passed ?? null, createdAt: r?.createdAt ?? null, expiresAt: r?.expiresAt ?? null };
      });
      const frames = repos.frames.forScan(scan.id).map((f) => ({
        lightIndex: f.lightIndex, ledChannel: f.ledChannel, exposureUs: f.exposureUs, gainDb: f.gainDb, width: f.width, height: f.height,
        pixelFormat: f.pixelFormat, timestampUs: f.timestampUs, file: fileView(app.services, f.sha256),
      }));
      const timingsMs = (scan.summary?.timingsMs ?? {}) as Record<string, number>;
      return { ...scanSummaryView(app.services, scan), cardId: scan.cardId, barcode: card?.barcode ?? null, frames, calibrations, timingsMs, summary: scan.summary };
    },
  );
}
