import type { Migration } from './index.ts';

// People who sign in at the booth's touchscreen (name + PIN; the PIN as an scrypt hash) and their
// short-lived UI sessions (only the sha256 of the cookie's secret is kept).
export const m0002Operators: Migration = {
  version: 2,
  name: 'operators',
  up(db) {
    db.exec(`
      CREATE TABLE operators (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
        role          TEXT NOT NULL CHECK (role IN ('operator', 'technician')),
        pin_hash      TEXT NOT NULL,
        failed_pins   INTEGER NOT NULL DEFAULT 0 CHECK (failed_pins >= 0),
        locked_until  TEXT,
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        removed_at    TEXT
      ) STRICT;

      CREATE TABLE ui_sessions (
        secret_sha256 TEXT PRIMARY KEY CHECK (length(secret_sha256) = 64),
        operator_id   TEXT NOT NULL REFERENCES operators(id),
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        ended_at      TEXT
      ) STRICT;
      CREATE INDEX ui_sessions_by_operator ON ui_sessions(operator_id);
    `);
  },
};
