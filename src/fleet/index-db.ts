import type { Migration } from '../storage/migrations/index.ts';
import { openDatabase, type Db } from '../storage/database.ts';

/**
 * The fleet index: what the collectors received from every booth. Its own SQLite file (not a booth
 * database), with its own migrations. Several collectors on one host share the file (WAL, busy timeout)
 * and de-duplicate through its UNIQUE message ids; collectors on several hosts need one shared index
 * (docs/fleet.md).
 */
const m0001FleetIndex: Migration = {
  version: 1,
  name: 'fleet-index',
  up(db) {
    db.exec(`
      CREATE TABLE booths (
        id           TEXT PRIMARY KEY,
        status       TEXT CHECK (status IN ('online', 'offline')),
        status_at    TEXT,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        telemetry_json TEXT CHECK (telemetry_json IS NULL OR json_valid(telemetry_json)),
        telemetry_at TEXT,
        models_json  TEXT CHECK (models_json IS NULL OR json_valid(models_json))
      ) STRICT;

      -- Every message id stored once: the de-duplication of resends and duplicate deliveries.
      CREATE TABLE messages (
        message_id  TEXT PRIMARY KEY,
        booth_id    TEXT NOT NULL REFERENCES booths(id),
        topic       TEXT NOT NULL,
        received_at TEXT NOT NULL,
        collector   TEXT NOT NULL
      ) STRICT;

      CREATE TABLE cards (
        barcode       TEXT PRIMARY KEY,
        booth_id      TEXT NOT NULL REFERENCES booths(id),
        overall       REAL,
        last_result_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE results (
        message_id  TEXT PRIMARY KEY REFERENCES messages(message_id),
        booth_id    TEXT NOT NULL REFERENCES booths(id),
        kind        TEXT NOT NULL CHECK (kind IN ('side', 'card')),
        barcode     TEXT NOT NULL,
        scan_id     TEXT,
        side        TEXT CHECK (side IS NULL OR side IN ('front', 'back')),
        grade_id    TEXT,
        overall     REAL,
        model_name  TEXT,
        model_version TEXT,
        payload_json TEXT NOT NULL CHECK (json_valid(payload_json)),
        graded_at   TEXT NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX results_by_card ON results(barcode, graded_at);
      CREATE INDEX results_by_booth ON results(booth_id, graded_at);

      CREATE TABLE datasets (
        sha256        TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        booth_id      TEXT NOT NULL REFERENCES booths(id),
        scan_id       TEXT,
        barcode       TEXT,
        manifest_json TEXT NOT NULL CHECK (json_valid(manifest_json)),
        total_bytes   INTEGER NOT NULL CHECK (total_bytes >= 0),
        complete      INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        received_at   TEXT NOT NULL,
        completed_at  TEXT
      ) STRICT;
    `);
  },
};

// Dataset transfer: each manifest's chunks in order, and which chunks the content store holds (the store's
// index, so that "is this dataset complete?" is one query instead of a look at every file).
const m0002DatasetChunks: Migration = {
  version: 2,
  name: 'dataset-chunks',
  up(db) {
    db.exec(`
      CREATE TABLE dataset_chunks (
        dataset_sha256 TEXT NOT NULL REFERENCES datasets(sha256),
        seq            INTEGER NOT NULL CHECK (seq >= 0),
        chunk_sha256   TEXT NOT NULL CHECK (length(chunk_sha256) = 64),
        PRIMARY KEY (dataset_sha256, seq)
      ) STRICT;
      CREATE INDEX dataset_chunks_by_chunk ON dataset_chunks(chunk_sha256);

      CREATE TABLE chunks (
        sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
        booth_id   TEXT NOT NULL,
        stored_at  TEXT NOT NULL
      ) STRICT;

      ALTER TABLE datasets ADD COLUMN offers INTEGER NOT NULL DEFAULT 1;
    `);
  },
};

export const fleetIndexMigrations: readonly Migration[] = [m0001FleetIndex, m0002DatasetChunks];

export function openFleetIndex(path: string): Db {
  return openDatabase(path, { list: fleetIndexMigrations });
}
