import { Ajv, type ValidateFunction } from 'ajv';
import { createError } from '../core/errors.ts';

/**
 * The JSON payloads on fleet topics: one schema each (docs/fleet.md prints them from here), validated
 * where they are produced (so a booth never sends a malformed message) and where they are consumed (so
 * the collector stores nothing it cannot read).
 */

const nullableNumber = { type: ['number', 'null'] } as const;
const grade = { type: ['number', 'null'], minimum: 1, maximum: 10 } as const;
const isoTime = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' } as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

/** One graded card side, or a card's final grade. */
export interface ResultPayload {
  schema: 'gradebooth.result.v1';
  messageId: string;
  /** `side`: one graded side (scanId and side set); `card`: the card's final grade. */
  kind: 'side' | 'card';
  barcode: string;
  jobId: string | null;
  scanId: string | null;
  side: 'front' | 'back' | null;
  gradeId: string | null;
  grades: { overall: number | null; centering: number | null; corners: number | null; edges: number | null; surface: number | null };
  score1000: number | null;
  defects: Array<{
    side: 'front' | 'back';
    category: 'corner' | 'edge' | 'surface' | 'centering' | 'cut';
    kind: string;
    xMm: number;
    yMm: number;
    lengthMm: number | null;
    widthMm: number | null;
    depthUm: number | null;
    severity: number;
  }>;
  model: { name: string; version: string; sha256: string } | null;
  /**
   * Why `grades.overall` is null: the card was scanned and measured but not graded (e.g. GB_MODEL_MISSING
   * while no surface model is installed). null for a graded result. The measured subgrades are still sent.
   */
  reason: { code: string; message: string } | null;
  gradedAt: string;
}

export const resultPayloadSchema = {
  $id: 'gradebooth.result.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'messageId', 'kind', 'barcode', 'jobId', 'scanId', 'side', 'gradeId', 'grades', 'score1000', 'defects', 'model', 'reason', 'gradedAt'],
  properties: {
    schema: { const: 'gradebooth.result.v1' },
    messageId: { type: 'string', minLength: 1, maxLength: 128 },
    kind: { enum: ['side', 'card'] },
    barcode: { type: 'string', minLength: 1, maxLength: 128 },
    jobId: { type: ['string', 'null'] },
    scanId: { type: ['string', 'null'] },
    side: { enum: ['front', 'back', null] },
    gradeId: { type: ['string', 'null'] },
    grades: {
      type: 'object',
      additionalProperties: false,
      required: ['overall', 'centering', 'corners', 'edges', 'surface'],
      properties: { overall: grade, centering: grade, corners: grade, edges: grade, surface: grade },
    },
    score1000: { type: ['integer', 'null'], minimum: 0, maximum: 1000 },
    defects: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['side', 'category', 'kind', 'xMm', 'yMm', 'lengthMm', 'widthMm', 'depthUm', 'severity'],
        properties: {
          side: { enum: ['front', 'back'] },
          category: { enum: ['corner', 'edge', 'surface', 'centering', 'cut'] },
          kind: { type: 'string', minLength: 1 },
          xMm: { type: 'number' },
          yMm: { type: 'number' },
          lengthMm: nullableNumber,
          widthMm: nullableNumber,
          depthUm: nullableNumber,
          severity: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
    model: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['name', 'version', 'sha256'],
      properties: { name: { type: 'string' }, version: { type: 'string' }, sha256 },
    },
    reason: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string', pattern: '^GB_[A-Z_]+$' }, message: { type: 'string' } },
    },
    gradedAt: isoTime,
  },
} as const;

/** Periodic booth health (sent with an MQTT message expiry: stale telemetry is useless). */
export interface TelemetryPayload {
  schema: 'gradebooth.telemetry.v1';
  at: string;
  rigTemperatureC: number | null;
  link: LinkCounters;
  calibration: { procedure: string; ageS: number; valid: boolean }[];
  queue: { rows: number; bytes: number; oldestCreatedAt: string | null; byKind: Record<string, { rows: number; bytes: number }> };
  disk: { freeBytes: number; totalBytes: number };
  uptimeS: number;
}

export interface LinkCounters {
  connects: number;
  disconnects: number;
  published: number;
  acknowledged: number;
  failed: number;
  expired: number;
  bytesSent: number;
}

const counter = { type: 'integer', minimum: 0 } as const;
const linkCountersSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['connects', 'disconnects', 'published', 'acknowledged', 'failed', 'expired', 'bytesSent'],
  properties: { connects: counter, disconnects: counter, published: counter, acknowledged: counter, failed: counter, expired: counter, bytesSent: counter },
} as const;

export const telemetryPayloadSchema = {
  $id: 'gradebooth.telemetry.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'at', 'rigTemperatureC', 'link', 'calibration', 'queue', 'disk', 'uptimeS'],
  properties: {
    schema: { const: 'gradebooth.telemetry.v1' },
    at: isoTime,
    rigTemperatureC: nullableNumber,
    link: linkCountersSchema,
    calibration: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['procedure', 'ageS', 'valid'],
        properties: { procedure: { type: 'string' }, ageS: { type: 'number', minimum: 0 }, valid: { type: 'boolean' } },
      },
    },
    queue: {
      type: 'object',
      additionalProperties: false,
      required: ['rows', 'bytes', 'oldestCreatedAt', 'byKind'],
      properties: {
        rows: counter,
        bytes: counter,
        oldestCreatedAt: { anyOf: [isoTime, { type: 'null' }] },
        byKind: {
          type: 'object',
          additionalProperties: { type: 'object', additionalProperties: false, required: ['rows', 'bytes'], properties: { rows: counter, bytes: counter } },
        },
      },
    },
    disk: { type: 'object', additionalProperties: false, required: ['freeBytes', 'totalBytes'], properties: { freeBytes: counter, totalBytes: counter } },
    uptimeS: { type: 'number', minimum: 0 },
  },
} as const;

/** A fleet request on `commands/<name>`; the answer goes to the MQTT v5 response topic with the correlation data. */
export interface CommandRequest {
  params?: Record<string, unknown>;
}

export const commandRequestSchema = {
  $id: 'gradebooth.command.request.v1',
  type: 'object',
  additionalProperties: false,
  properties: { params: { type: 'object' } },
} as const;

export type CommandResponse = { ok: true; command: string; result: unknown } | { ok: false; command: string; error: { code: string; message: string } };

export const commandResponseSchema = {
  $id: 'gradebooth.command.response.v1',
  type: 'object',
  required: ['ok', 'command'],
  oneOf: [
    { properties: { ok: { const: true }, command: { type: 'string' }, result: {} }, required: ['result'], additionalProperties: false },
    {
      properties: {
        ok: { const: false },
        command: { type: 'string' },
        error: { type: 'object', additionalProperties: false, required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
      },
      required: ['error'],
      additionalProperties: false,
    },
  ],
} as const;

/**
 * A dataset's manifest (`datasets/<id>/manifest`, booth → fleet; id = sha256 of these bytes): one scanned
 * card side with its files as sha256-addressed chunks and its labels. Built by src/sync/dataset-manifest.ts.
 */
const chunkList = { type: 'array', items: sha256, maxItems: 1_000_000 } as const;
export const datasetManifestSchema = {
  $id: 'gradebooth.dataset.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'boothId', 'scan', 'chunkBytes', 'totalBytes', 'calibrations', 'labels', 'files'],
  properties: {
    schema: { const: 'gradebooth.dataset.v1' },
    boothId: { type: 'string', minLength: 1, maxLength: 64 },
    scan: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'jobId', 'side', 'barcode', 'createdAt', 'summary'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 128 },
        jobId: { type: 'string', minLength: 1, maxLength: 128 },
        side: { enum: ['front', 'back'] },
        barcode: { type: ['string', 'null'], maxLength: 128 },
        createdAt: { type: 'string' },
        summary: { type: ['object', 'null'] },
      },
    },
    chunkBytes: { type: 'integer', minimum: 1024, maximum: 8388608 },
    totalBytes: { type: 'integer', minimum: 0 },
    calibrations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['procedure', 'id', 'version', 'passed', 'createdAt'],
        properties: { procedure: { type: 'string' }, id: { type: 'string' }, version: { type: 'integer' }, passed: { type: 'boolean' }, createdAt: { type: 'string' } },
      },
    },
    labels: {
      type: 'object',
      additionalProperties: false,
      required: ['grade', 'defects', 'overrides'],
      properties: {
        grade: { type: ['object', 'null'] },
        defects: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['category', 'kind', 'xMm', 'yMm', 'widthMm', 'lengthMm', 'depthUm', 'severity'],
            properties: {
              category: { type: 'string' },
              kind: { type: 'string' },
              xMm: { type: 'number' },
              yMm: { type: 'number' },
              widthMm: nullableNumber,
              lengthMm: nullableNumber,
              depthUm: nullableNumber,
              severity: { type: 'number', minimum: 0, maximum: 1 },
            },
          },
        },
        overrides: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['subgrade', 'machineValue', 'value', 'reason', 'note', 'createdBy', 'createdAt'],
            properties: {
              subgrade: { enum: ['centering', 'corners', 'edges', 'surface'] },
              machineValue: grade,
              value: { type: 'number', minimum: 1, maximum: 10 },
              reason: { type: 'string' },
              note: { type: 'string', maxLength: 500 },
              createdBy: { type: 'string' },
              createdAt: { type: 'string' },
            },
          },
        },
      },
    },
    files: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'role', 'mediaType', 'sizeBytes', 'sha256', 'chunks'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', maxLength: 200 },
          role: { enum: ['frame', 'normals', 'albedo', 'depth', 'calibration', 'grade-report'] },
          mediaType: { type: 'string', minLength: 1, maxLength: 100 },
          sizeBytes: { type: 'integer', minimum: 0 },
          sha256,
          chunks: chunkList,
          meta: { type: 'object' },
        },
      },
    },
  },
} as const;

/**
 * The fleet's answer to a manifest (`datasets/<id>/need`, fleet → booth, retained until the booth clears
 * it): the chunks the fleet does not hold yet. `complete: true` (and no chunk missing) ends the transfer.
 */
export interface DatasetNeedPayload {
  schema: 'gradebooth.dataset.need.v1';
  datasetId: string;
  missing: string[];
  complete: boolean;
  at: string;
}

export const datasetNeedSchema = {
  $id: 'gradebooth.dataset.need.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'datasetId', 'missing', 'complete', 'at'],
  properties: {
    schema: { const: 'gradebooth.dataset.need.v1' },
    datasetId: sha256,
    missing: chunkList,
    complete: { type: 'boolean' },
    at: isoTime,
  },
} as const;

/** `status`: retained, plain UTF-8 text (not JSON) so `mosquitto_sub` shows it as is; `offline` is the last will. */
export const statusPayloadSchema = { $id: 'gradebooth.status.v1', enum: ['online', 'offline'] } as const;

/**
 * A model release, as the fleet signs it (`gradebooth fleet publish-model`): which model (its manifest, whose
 * sha256 names the file), where its bytes are (retained chunks, each named by its sha256) and how booths roll
 * it out. The booth verifies the signature over this document's exact bytes before it reads any of it.
 */
export interface ModelRelease {
  schema: 'gradebooth.model.release.v1';
  releaseId: string;
  publishedAt: string;
  model: { name: string; version: string; sha256: string; sizeBytes: number };
  /** The model folder's manifest.json (src/grading/surface/manifest.ts); its sha256 is model.sha256. */
  manifest: Record<string, unknown>;
  transfer: { chunkBytes: number; chunks: string[] };
  rollout: {
    /** null: every booth; else only these. */
    booths: string[] | null;
    /** Booths that activate on their own once the canary rule passes; the others wait for `model-activate`. */
    canary: string[];
    /** Scans the new model runs in shadow beside the active one before the rule is judged. */
    shadowScans: number;
    /** The rule: this share of shadowed sides must agree (same defects within toleranceMm) … */
    minAgreement: number;
    toleranceMm: number;
    /** … and the surface subgrade may differ by at most this much on average (grade points). */
    maxSurfaceDelta: number;
    /** After activation, scans on which the previous model runs beside it; a regression rolls back. */
    probationScans: number;
  };
}

const boothList = { type: 'array', maxItems: 10000, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } } as const;

export const modelReleaseSchema = {
  $id: 'gradebooth.model.release.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'releaseId', 'publishedAt', 'model', 'manifest', 'transfer', 'rollout'],
  properties: {
    schema: { const: 'gradebooth.model.release.v1' },
    releaseId: { type: 'string', pattern: '^[A-Za-z0-9-]{8,64}$' },
    publishedAt: isoTime,
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version', 'sha256', 'sizeBytes'],
      properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }, version: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$' }, sha256, sizeBytes: { type: 'integer', minimum: 1, maximum: 1000000000 } },
    },
    manifest: { type: 'object' },
    transfer: {
      type: 'object',
      additionalProperties: false,
      required: ['chunkBytes', 'chunks'],
      properties: { chunkBytes: { type: 'integer', minimum: 1024, maximum: 8388608 }, chunks: { type: 'array', minItems: 1, maxItems: 100000, items: sha256 } },
    },
    rollout: {
      type: 'object',
      additionalProperties: false,
      required: ['booths', 'canary', 'shadowScans', 'minAgreement', 'toleranceMm', 'maxSurfaceDelta', 'probationScans'],
      properties: {
        booths: { anyOf: [boothList, { type: 'null' }] },
        canary: boothList,
        shadowScans: { type: 'integer', minimum: 0, maximum: 10000 },
        minAgreement: { type: 'number', minimum: 0, maximum: 1 },
        toleranceMm: { type: 'number', minimum: 0, maximum: 50 },
        maxSurfaceDelta: { type: 'number', minimum: 0, maximum: 10 },
        probationScans: { type: 'integer', minimum: 0, maximum: 10000 },
      },
    },
  },
} as const;

/** What travels on `_all/models/offer` (retained): the release's exact text and its signature. */
export interface ModelOffer {
  schema: 'gradebooth.model.offer.v1';
  /** The release (gradebooth.model.release.v1) as JSON text: the signed bytes. */
  release: string;
  keyId: string | null;
  /** ed25519 over the UTF-8 bytes of `release`, base64; null = unsigned (refused by every booth). */
  signature: string | null;
}

export const modelOfferSchema = {
  $id: 'gradebooth.model.offer.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'release', 'keyId', 'signature'],
  properties: {
    schema: { const: 'gradebooth.model.offer.v1' },
    release: { type: 'string', minLength: 2, maxLength: 8388608 },
    keyId: { type: ['string', 'null'], pattern: '^[0-9a-f]{16}$' },
    signature: { type: ['string', 'null'], maxLength: 200 },
  },
} as const;

export type ModelStateName = 'downloading' | 'refused' | 'shadow' | 'passed' | 'failed' | 'active' | 'retired' | 'rolled-back' | 'superseded';
export const modelStateNames: readonly ModelStateName[] = ['downloading', 'refused', 'shadow', 'passed', 'failed', 'active', 'retired', 'rolled-back', 'superseded'];

/** One model a booth knows of, as `models/state` and GET /api/models show it. */
export interface ModelStateEntry {
  sha256: string;
  name: string | null;
  version: string | null;
  releaseId: string | null;
  state: ModelStateName;
  canary: boolean;
  reason: { code: string; message: string } | null;
  transfer: { chunks: number; have: number; resumedChunks: number };
  /** Scanned sides compared (a scan is one side); agreement = agreed / scans. */
  shadow: { scans: number; needed: number; agreed: number; agreement: number | null; meanSurfaceDelta: number | null; errors: number };
  probation: { scans: number; needed: number } | null;
  updatedAt: string;
}

/** `models/state` (retained): the booth's active model and every model it was offered, newest first. */
export interface ModelsStatePayload {
  schema: 'gradebooth.models.state.v1';
  boothId: string;
  at: string;
  active: { sha256: string; name: string; version: string; since: string } | null;
  models: ModelStateEntry[];
}

const nullableStr = { type: ['string', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;

export const modelsStatePayloadSchema = {
  $id: 'gradebooth.models.state.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'boothId', 'at', 'active', 'models'],
  properties: {
    schema: { const: 'gradebooth.models.state.v1' },
    boothId: { type: 'string' },
    at: isoTime,
    active: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['sha256', 'name', 'version', 'since'],
      properties: { sha256, name: { type: 'string' }, version: { type: 'string' }, since: isoTime },
    },
    models: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sha256', 'name', 'version', 'releaseId', 'state', 'canary', 'reason', 'transfer', 'shadow', 'probation', 'updatedAt'],
        properties: {
          sha256,
          name: nullableStr,
          version: nullableStr,
          releaseId: nullableStr,
          state: { enum: modelStateNames },
          canary: { type: 'boolean' },
          reason: {
            type: ['object', 'null'],
            additionalProperties: false,
            required: ['code', 'message'],
            properties: { code: { type: 'string', pattern: '^GB_[A-Z_]+$' }, message: { type: 'string' } },
          },
          transfer: { type: 'object', additionalProperties: false, required: ['chunks', 'have', 'resumedChunks'], properties: { chunks: count, have: count, resumedChunks: count } },
          shadow: {
            type: 'object',
            additionalProperties: false,
            required: ['scans', 'needed', 'agreed', 'agreement', 'meanSurfaceDelta', 'errors'],
            properties: { scans: count, needed: count, agreed: count, agreement: { type: ['number', 'null'], minimum: 0, maximum: 1 }, meanSurfaceDelta: { type: ['number', 'null'], minimum: 0 }, errors: count },
          },
          probation: { type: ['object', 'null'], additionalProperties: false, required: ['scans', 'needed'], properties: { scans: count, needed: count } },
          updatedAt: isoTime,
        },
      },
    },
  },
} as const;

export const payloadSchemas = [resultPayloadSchema, telemetryPayloadSchema, commandRequestSchema, commandResponseSchema, statusPayloadSchema, datasetManifestSchema, datasetNeedSchema, modelOfferSchema, modelReleaseSchema, modelsStatePayloadSchema] as const;

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
const validators = new Map<string, ValidateFunction>();

/** Register another payload schema (datasets, models) with the shared validator. */
export function registerPayloadSchema(schema: { $id: string }): void {
  if (!validators.has(schema.$id)) validators.set(schema.$id, ajv.compile(schema));
}
for (const s of payloadSchemas) registerPayloadSchema(s);

/** Throw GB_VALIDATION naming every problem when `value` does not match the schema `$id`. */
export function assertPayload<T>(schemaId: string, value: unknown, what = schemaId): T {
  const validate = validators.get(schemaId);
  if (!validate) throw createError('GB_INTERNAL', `no payload schema ${schemaId}`);
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    throw createError('GB_VALIDATION', `${what}: ${problems.join('; ')}`, { problems });
  }
  return value as T;
}

/** Parse a JSON payload and validate it; GB_VALIDATION for bytes that are not JSON too. */
export function parsePayload<T>(schemaId: string, bytes: Buffer | Uint8Array, what = schemaId): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw createError('GB_VALIDATION', `${what}: not JSON (${(err as Error).message})`);
  }
  return assertPayload<T>(schemaId, value, what);
}
