import type { Migration } from './index.ts';

// The outbox as the fleet link needs it. 0001's table had no identity a receiver could de-duplicate on,
// no expiry and no backoff, so it is rebuilt (SQLite cannot add a UNIQUE NOT NULL column in place):
// - message_id: stable per message, sent as an MQTT v5 user property; UNIQUE so a stage re-run that
//   enqueues the same message (same deterministic id) does not queue it twice.
// - kind: the message class (result, model, telemetry, dataset, ...) used for the per-class figures;
//   priority orders the drain (higher first; results before datasets).
// - expires_at: stale data (telemetry) is dropped instead of sent; its remainder becomes the v5 message
//   expiry interval.
// - not_before: the row's backoff after a failed attempt.
// - size_bytes: the payload's length, kept so the bandwidth cap and the status figures need no scan of
//   the blobs.
// Rows queued by 0001 (none in practice: nothing wrote to it) are kept with a generated message id.
export const m0005OutboxDelivery: Migration = {
  version: 5,
  name: 'outbox-delivery',
  up(db) {
    db.exec(`
      CREATE TABLE outbox_v5 (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id      TEXT NOT NULL UNIQUE CHECK (length(message_id) BETWEEN 1 AND 128),
        kind            TEXT NOT NULL DEFAULT 'other' CHECK (length(kind) BETWEEN 1 AND 32),
        topic           TEXT NOT NULL CHECK (length(topic) BETWEEN 1 AND 1024),
        payload         BLOB NOT NULL,
        size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
        qos             INTEGER NOT NULL DEFAULT 1 CHECK (qos IN (0, 1, 2)),
        retain          INTEGER NOT NULL DEFAULT 0 CHECK (retain IN (0, 1)),
        priority        INTEGER NOT NULL DEFAULT 0,
        attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        created_at      TEXT NOT NULL,
        expires_at      TEXT,
        not_before      TEXT,
        last_attempt_at TEXT,
        last_error      TEXT
      ) STRICT;
      INSERT INTO outbox_v5 (id, message_id, topic, payload, size_bytes, qos, priority, attempts, created_at, last_attempt_at)
        SELECT id, lower(hex(randomblob(16))), topic, payload, length(payload), qos, priority, attempts, created_at, last_attempt_at
        FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_v5 RENAME TO outbox;
      CREATE INDEX outbox_drain_order ON outbox(priority DESC, id);
      CREATE INDEX outbox_by_expiry ON outbox(expires_at) WHERE expires_at IS NOT NULL;
    `);
  },
};
