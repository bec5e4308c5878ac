import type { Migration } from './index.ts';

// Datasets for retraining (docs/fleet.md "Datasets"): what a booth offered the fleet and how far each
// transfer got, so an upload resumes after an outage or a restart without sending a chunk twice.
// - datasets: one row per offered manifest. The id is the sha256 of the manifest's bytes, so the same scan
//   with the same labels offered twice is one row; new labels (an operator's override) make a new dataset
//   whose unchanged chunks the fleet already holds.
// - dataset_chunks: the manifest's chunks in order, each a byte range of a stored file (blobs), so a chunk's
//   bytes are read from the file store when it is queued instead of being copied into the database up front.
//   manifest_queued: its latest offer is still in the outbox (the idle clock for a re-offer starts when it leaves).
//   state: waiting (the fleet has not said), needed (the fleet lacks it), queued (in the outbox), sent (the
//   broker acknowledged it), held (the fleet has it).
export const m0007Datasets: Migration = {
  version: 7,
  name: 'datasets',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id             TEXT PRIMARY KEY CHECK (length(id) = 64),
        scan_id        TEXT NOT NULL REFERENCES scans(id),
        manifest       BLOB NOT NULL,
        total_bytes    INTEGER NOT NULL CHECK (total_bytes >= 0),
        state          TEXT NOT NULL CHECK (state IN ('offered', 'uploading', 'complete')),
        offers         INTEGER NOT NULL DEFAULT 1 CHECK (offers >= 1),
        manifest_queued INTEGER NOT NULL DEFAULT 1 CHECK (manifest_queued IN (0, 1)),
        requested_by   TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        offered_at     TEXT NOT NULL,
        progress_at    TEXT NOT NULL,
        completed_at   TEXT
      ) STRICT;
      CREATE INDEX datasets_by_scan ON datasets(scan_id);
      CREATE INDEX datasets_by_state ON datasets(state, offered_at);

      CREATE TABLE dataset_chunks (
        dataset_id   TEXT NOT NULL REFERENCES datasets(id),
        seq          INTEGER NOT NULL CHECK (seq >= 0),
        sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
        file_sha256  TEXT NOT NULL REFERENCES blobs(sha256),
        offset_bytes INTEGER NOT NULL CHECK (offset_bytes >= 0),
        size_bytes   INTEGER NOT NULL CHECK (size_bytes > 0),
        state        TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'needed', 'queued', 'sent', 'held')),
        PRIMARY KEY (dataset_id, seq)
      ) STRICT;
      CREATE INDEX dataset_chunks_by_state ON dataset_chunks(state, dataset_id);
      CREATE INDEX dataset_chunks_by_sha ON dataset_chunks(sha256);
    `);
  },
};
