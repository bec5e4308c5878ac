// Shared JSON schemas, registered once with app.addSchema and referenced by $ref from routes.

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'code', 'message'],
  additionalProperties: false,
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'stable error code, GB_…' },
    message: { type: 'string' },
    requestId: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** The error responses every authenticated route can give, merged into each route's response schema. */
export const authErrorResponses = {
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
} as const;

export const deviceStatusSchema = {
  $id: 'DeviceStatus',
  type: 'object',
  required: ['device', 'kind', 'state', 'detail'],
  additionalProperties: false,
  properties: {
    device: { enum: ['rig', 'camera', 'scanner'] },
    kind: { type: 'string' },
    state: { enum: ['absent', 'connecting', 'connected', 'disconnected', 'fault'] },
    detail: { type: 'string' },
    info: { type: 'object', additionalProperties: true },
  },
} as const;

/** A page of a list (GET /api/jobs, /api/cards): its items, how many matched in all, and the window. */
export function pageSchema<T extends object>(items: T) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['items', 'total', 'limit', 'offset'],
    properties: { items: { type: 'array', items }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
  } as const;
}
