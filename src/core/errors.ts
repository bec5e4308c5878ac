/**
 * Stable error codes. Every error that crosses a boundary (API, CLI, logs, fleet) carries one of these
 * codes, so operators, technicians and the fleet can match on codes instead of on message wording.
 * Messages say what was expected and what was received.
 */
export const errorCodes = {
  // configuration
  GB_CONFIG_INVALID: { status: 500, summary: 'settings file is invalid' },
  GB_CONFIG_UNREADABLE: { status: 500, summary: 'settings file cannot be read or parsed' },
  // input
  GB_BAD_REQUEST: { status: 400, summary: 'request is malformed' },
  GB_VALIDATION: { status: 400, summary: 'request does not match its schema' },
  GB_PAYLOAD_TOO_LARGE: { status: 413, summary: 'request body is too large' },
  GB_UNSUPPORTED_MEDIA: { status: 415, summary: 'request content type is not supported' },
  GB_NOT_FOUND: { status: 404, summary: 'no such resource' },
  GB_ROUTE_NOT_FOUND: { status: 404, summary: 'no such route' },
  GB_METHOD_NOT_ALLOWED: { status: 405, summary: 'method not allowed' },
  GB_CONFLICT: { status: 409, summary: 'resource is in a conflicting state' },
  GB_REQUEST_TIMEOUT: { status: 408, summary: 'request headers or body did not arrive in time' },
  // auth
  GB_AUTH_MISSING: { status: 401, summary: 'no bearer token' },
  GB_AUTH_INVALID: { status: 401, summary: 'token is unknown or revoked' },
  GB_FORBIDDEN: { status: 403, summary: 'role may not do this' },
  GB_TOO_MANY_REQUESTS: { status: 429, summary: 'too many failed authentications from this client' },
  // storage
  GB_STORE_CORRUPT: { status: 500, summary: 'stored file does not match its sha256' },
  GB_STORE_MISSING: { status: 404, summary: 'stored file is missing' },
  GB_DB_MIGRATION: { status: 500, summary: 'database migration failed' },
  GB_DB_NEWER: { status: 500, summary: 'database was written by a newer gradebooth' },
  GB_DATA_DIR_LOCKED: { status: 409, summary: 'another process owns this data directory and its hardware' },
  GB_DB_CORRUPT: { status: 500, summary: 'database file is damaged' },
  GB_DB_UNREADABLE: { status: 500, summary: 'database file cannot be opened, read or written' },
  GB_DISK_FULL: { status: 507, summary: 'the data directory\'s disk is full' },
  // hardware
  GB_HW_ABSENT: { status: 503, summary: 'hardware is not attached' },
  GB_RIG_TIMEOUT: { status: 504, summary: 'LED rig did not answer in time' },
  GB_RIG_PROTOCOL: { status: 502, summary: 'LED rig spoke an unexpected protocol' },
  GB_RIG_FAULT: { status: 502, summary: 'LED rig reported a fault' },
  GB_RIG_DISCONNECTED: { status: 503, summary: 'LED rig is disconnected' },
  GB_RIG_REJECTED: { status: 409, summary: 'LED rig refused the command (NAK)' },
  GB_RIG_RESET: { status: 503, summary: 'LED rig firmware reset during the operation' },
  GB_RIG_SEQUENCE_ABORTED: { status: 502, summary: 'LED rig sequence was aborted' },
  GB_RIG_SIM_FAILED: { status: 500, summary: 'simulated LED rig could not start' },
  GB_CAMERA_TIMEOUT: { status: 504, summary: 'camera frame did not arrive in time' },
  GB_CAMERA_FAULT: { status: 502, summary: 'camera reported an error' },
  GB_CAMERA_LOST: { status: 503, summary: 'camera dropped off the network or its cable was pulled' },
  GB_CAPTURE_FRAME_LOST: { status: 502, summary: 'a capture frame was lost or does not match its rig step' },
  GB_CAPTURE_EXPOSURE: { status: 422, summary: 'capture frames are saturated or under-exposed' },
  GB_BARCODE_INVALID: { status: 422, summary: 'scanned or entered barcode does not parse' },
  GB_NOT_CALIBRATED: { status: 409, summary: 'the booth has no valid calibration for this' },
  // vision / data
  GB_IMAGE_INVALID: { status: 400, summary: 'image is unreadable or of an unsupported format' },
  GB_DATASET_INVALID: { status: 400, summary: 'photometric data folder is malformed' },
  GB_VISION_FAILED: { status: 422, summary: 'reconstruction failed' },
  // jobs
  GB_JOB_CANCELLED: { status: 409, summary: 'the job was cancelled' },
  GB_JOB_INTERRUPTED: { status: 503, summary: 'the job was interrupted (the daemon stopped or crashed while it ran)' },
  // learned models (models/<name>/<version>/: model.onnx + manifest.json)
  GB_MODEL_MISSING: { status: 503, summary: 'model file or manifest is missing' },
  GB_MODEL_INVALID: { status: 503, summary: 'model does not match its manifest (sha256, schema or input/output spec)' },
  GB_MODEL_FAILED: { status: 500, summary: 'model inference failed' },
  GB_MODEL_UNSIGNED: { status: 422, summary: 'a model release carries no signature' },
  GB_MODEL_SIGNATURE: { status: 422, summary: 'a model release is signed by an untrusted key or its signature does not verify' },
  GB_MODEL_CORRUPT: { status: 422, summary: 'downloaded model bytes do not match the signed sha256 (a chunk or the whole file)' },
  GB_MODEL_REGRESSED: { status: 422, summary: 'a model disagreed with its reference model beyond the rollout\'s limits' },
  // fleet
  GB_NOT_GRADED: { status: 422, summary: 'the card was measured but a subgrade could not be graded (a fleet result\'s reason)' },
  GB_FLEET_UNREACHABLE: { status: 503, summary: 'the fleet broker could not be reached or refused the connection or subscriptions' },
  GB_FLEET_UNDELIVERED: { status: 503, summary: 'the broker accepted a message no fleet collector subscribes to; it stays queued' },
  GB_DATASETS_DISABLED: { status: 403, summary: 'the booth\'s fleet settings do not allow uploading datasets' },
  // generic
  GB_USAGE: { status: 400, summary: 'command-line usage error' },
  GB_SHUTTING_DOWN: { status: 503, summary: 'daemon is shutting down' },
  GB_PORT_IN_USE: { status: 500, summary: 'the daemon cannot listen: the address or port is in use' },
  GB_LISTEN_FAILED: { status: 500, summary: 'the daemon cannot listen on the configured address' },
  GB_INTERNAL: { status: 500, summary: 'internal error' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** An error with a stable code, an HTTP status and optional structured details. */
export class GradeboothError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GradeboothError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = options.details;
  }
}

/** Build a coded error: `createError('GB_RIG_TIMEOUT', 'no answer to IDENTIFY after 3 tries')`. */
export function createError(code: ErrorCode, message: string, details?: Record<string, unknown>): GradeboothError {
  return new GradeboothError(code, message, details === undefined ? {} : { details });
}

export function isGradeboothError(err: unknown): err is GradeboothError {
  return err instanceof GradeboothError;
}
