import { randomUUID } from 'node:crypto';
import type { Db } from './database.ts';
import { createError } from '../core/errors.ts';

/**
 * The outbox: everything the fleet must receive, written by the stage that produced it in the SAME
 * transaction as the data it announces, and drained to the broker by src/sync/. A row is deleted only when
 * the broker acknowledged it (PUBACK for QoS 1), so an outage of any length or a crash mid-send loses
 * nothing; a resend after a crash carries the same message id, which the receiver de-duplicates on.
 */

/** Drain order classes (higher first): results before model states before telemetry before datasets. */
export const outboxPriority = {
  result: 100,
  command: 90, // answers to the fleet's requests: someone is waiting for them
  model: 80,
  telemetry: 50,
  dataset: 10,
} as const;

export type OutboxKind = keyof typeof outboxPriority | 'other';

export interface OutboxMessage {
  /**
   * Topic relative to the booth's root (`<fleet.topic_prefix>/<fleet.booth_id>/`), e.g. `results`; the
   * link prefixes it when sending, so rows queued before the booth joined (or was renamed) go out right.
   */
  topic: string;
  /** Bytes as sent; a string is sent as UTF-8, any other value as its JSON. */
  payload: Uint8Array | string | object;
  qos: 0 | 1 | 2;
  /** Higher drains first; use outboxPriority. */
  priority: number;
  /** Message class for the figures; defaults to the class whose priority matches, else 'other'. */
  kind?: OutboxKind;
  /** After this instant the message is stale and dropped unsent (telemetry); sent with the v5 expiry. */
  expiresAt?: Date;
  /**
   * Stable id the receiver de-duplicates on. Give a deterministic one (e.g. `result:<gradeId>:final`) when
   * a re-run of the stage may enqueue the same message again: the second enqueue is then a no-op.
   */
  messageId?: string;
  retain?: boolean;
}

export interface OutboxRow {
  id: number;
  messageId: string;
  kind: string;
  topic: string;
  payload: Buffer;
  sizeBytes: number;
  qos: 0 | 1 | 2;
  retain: boolean;
  priority: number;
  attempts: number;
  createdAt: string;
  expiresAt: string | null;
  notBefore: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
}

interface Row {
  id: number;
  message_id: string;
  kind: string;
  topic: string;
  payload: Buffer;
  size_bytes: number;
  qos: 0 | 1 | 2;
  retain: number;
  priority: number;
  attempts: number;
  created_at: string;
  expires_at: string | null;
  not_before: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
}

const toOutboxRow = (r: Row): OutboxRow => ({
  id: r.id,
  messageId: r.message_id,
  kind: r.kind,
  topic: r.topic,
  payload: r.payload,
  sizeBytes: r.size_bytes,
  qos: r.qos,
  retain: r.retain === 1,
  priority: r.priority,
  attempts: r.attempts,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  notBefore: r.not_before,
  lastAttemptAt: r.last_attempt_at,
  lastError: r.last_error,
});

/** MQTT's limit on a topic (UTF-8 encoded string length prefix) is 65535; ours is the column's. */
const maxTopicChars = 1024;
/** The broker's default message size limit is far above this; a dataset chunk must fit comfortably. */
export const maxOutboxPayloadBytes = 8 * 1024 * 1024;

function payloadBytes(payload: OutboxMessage['payload']): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

function kindForPriority(priority: number): OutboxKind {
  for (const [kind, p] of Object.entries(outboxPriority)) if (p === priority) return kind as OutboxKind;
  return 'other';
}

/**
 * Queue one message. Call it inside the transaction that writes the data the message announces, so both
 * commit or neither does (better-sqlite3 transactions are synchronous: this never awaits). Enqueueing a
 * message id already queued is a no-op that returns the queued row's id. Returns the row id and the
 * message id.
 */
export function enqueueOutbox(db: Db, message: OutboxMessage, now = new Date()): { id: number; messageId: string; inserted: boolean } {
  const topic = message.topic;
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > maxTopicChars || /[+#\u0000$]/.test(topic) || topic.startsWith('/') || topic.endsWith('/')) {
    throw createError('GB_BAD_REQUEST', `outbox topic must be 1..${maxTopicChars} characters relative to the booth's root (e.g. "results"), without wildcards (+, #), $, NUL or a leading/trailing /, got ${JSON.stringify(topic)}`);
  }
  if (![0, 1, 2].includes(message.qos)) throw createError('GB_BAD_REQUEST', `outbox qos must be 0, 1 or 2, got ${String(message.qos)}`);
  if (!Number.isInteger(message.priority)) throw createError('GB_BAD_REQUEST', `outbox priority must be an integer, got ${String(message.priority)}`);
  const messageId = message.messageId ?? randomUUID();
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 128) {
    throw createError('GB_BAD_REQUEST', `outbox message id must be 1..128 characters, got ${JSON.stringify(messageId)}`);
  }
  const bytes = payloadBytes(message.payload);
  if (bytes.byteLength > maxOutboxPayloadBytes) {
    throw createError('GB_PAYLOAD_TOO_LARGE', `outbox payload is ${bytes.byteLength} bytes; the limit is ${maxOutboxPayloadBytes} (send datasets in chunks)`);
  }
  if (message.expiresAt !== undefined && Number.isNaN(message.expiresAt.getTime())) {
    throw createError('GB_BAD_REQUEST', 'outbox expiresAt is not a valid date');
  }
  const result = db
    .prepare(
      `INSERT INTO outbox (message_id, kind, topic, payload, size_bytes, qos, retain, priority, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
    )
    .run(
      messageId,
      message.kind ?? kindForPriority(message.priority),
      topic,
      bytes,
      bytes.byteLength,
      message.qos,
      message.retain === true ? 1 : 0,
      message.priority,
      now.toISOString(),
      message.expiresAt?.toISOString() ?? null,
    );
  if (result.changes === 1) return { id: Number(result.lastInsertRowid), messageId, inserted: true };
  const existing = db.prepare('SELECT id FROM outbox WHERE message_id = ?').get(messageId) as { id: number };
  return { id: existing.id, messageId, inserted: false };
}

/**
 * The next rows to send, in drain order (priority, then age), skipping rows still in their backoff and
 * rows already expired (dropExpiredOutbox removes those). At most `limit` rows and, when given, at most
 * `maxBytes` payload bytes (always at least one row, so one large row cannot stall the queue).
 */
export function peekOutbox(db: Db, options: { now?: Date; limit?: number; maxBytes?: number } = {}): OutboxRow[] {
  const now = (options.now ?? new Date()).toISOString();
  const limit = options.limit ?? 32;
  const rows = db
    .prepare(
      `SELECT * FROM outbox
       WHERE (expires_at IS NULL OR expires_at > ?) AND (not_before IS NULL OR not_before <= ?)
       ORDER BY priority DESC, id LIMIT ?`,
    )
    .all(now, now, limit) as Row[];
  if (options.maxBytes === undefined) return rows.map(toOutboxRow);
  const out: OutboxRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (out.length > 0 && bytes + r.size_bytes > options.maxBytes) break;
    out.push(toOutboxRow(r));
    bytes += r.size_bytes;
  }
  return out;
}

/** Record that a row was handed to the link (attempts + 1). A failure stores its reason and the backoff. */
export function markOutboxAttempt(db: Db, id: number, options: { now?: Date; notBefore?: Date; error?: string } = {}): void {
  db.prepare('UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, not_before = ?, last_error = ? WHERE id = ?').run(
    (options.now ?? new Date()).toISOString(),
    options.notBefore?.toISOString() ?? null,
    options.error ?? null,
    id,
  );
}

/** The broker acknowledged the row: it leaves the outbox. Returns whether it was still queued. */
export function deleteOutbox(db: Db, id: number): boolean {
  return db.prepare('DELETE FROM outbox WHERE id = ?').run(id).changes === 1;
}

/** Lift every row's backoff (the link came back: no reason to wait out a backoff set while it was down). */
export function clearOutboxBackoff(db: Db): number {
  return db.prepare('UPDATE outbox SET not_before = NULL WHERE not_before IS NOT NULL').run().changes;
}

/** Remove rows whose expiry passed (stale telemetry); returns how many. */
export function dropExpiredOutbox(db: Db, now = new Date()): number {
  return db.prepare('DELETE FROM outbox WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now.toISOString()).changes;
}

export interface OutboxFigures {
  rows: number;
  bytes: number;
  oldestCreatedAt: string | null;
  byKind: Record<string, { rows: number; bytes: number }>;
}

/** Queue length and size, overall and per message class (for /api/status and telemetry). */
export function outboxFigures(db: Db): OutboxFigures {
  const rows = db.prepare('SELECT kind, count(*) AS n, coalesce(sum(size_bytes), 0) AS b, min(created_at) AS oldest FROM outbox GROUP BY kind').all() as Array<{
    kind: string;
    n: number;
    b: number;
    oldest: string | null;
  }>;
  const figures: OutboxFigures = { rows: 0, bytes: 0, oldestCreatedAt: null, byKind: {} };
  for (const r of rows) {
    figures.rows += r.n;
    figures.bytes += r.b;
    figures.byKind[r.kind] = { rows: r.n, bytes: r.b };
    if (r.oldest !== null && (figures.oldestCreatedAt === null || r.oldest < figures.oldestCreatedAt)) figures.oldestCreatedAt = r.oldest;
  }
  return figures;
}

/** A send failed (no acknowledgement): keep the row, wait until `notBefore`, remember why. */
export function deferOutbox(db: Db, id: number, notBefore: Date, error: string): void {
  db.prepare('UPDATE outbox SET not_before = ?, last_error = ? WHERE id = ?').run(notBefore.toISOString(), error, id);
}
