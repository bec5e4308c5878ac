import type { Migration } from './index.ts';

// Jobs become the daemon's durable queue: the states a runner drives (queued → running → done | failed |
// cancelled | interrupted), the stage and progress it is at, its parameters and result as JSON, a cancel
// request, and when it started and finished. The old states (capturing, processing, grading) were only
// ever written by a process that was running the job; a row still in one of them was left by a crash
// and becomes `interrupted`.
//
// job_files is the journal of files a job wrote to the store that no committed row references yet: a
// row is committed BEFORE the file is written, so after a crash the recovery deletes exactly the files
// that no `blobs` row took over.
//
// scan_calibrations: a scan depends on the records of several procedures (dark, flat, lights, scale),
// not on one. `scans.calibration_id` stays for rows written before (SQLite cannot drop a column with a
// REFERENCES clause without rebuilding the table); it is copied into scan_calibrations and no longer
// written.
export const m0003Jobs: Migration = {
  version: 3,
  name: 'jobs',
  // Rebuilding `jobs` drops the table scans and grades reference: migrate() checks the keys instead.
  rebuildsTables: true,
  up(db) {
    db.exec(`
      CREATE TABLE jobs_new (
        id               TEXT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('calibration', 'scan', 'scan-card', 'grade')),
        card_id          INTEGER REFERENCES cards(id),
        state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        stage            TEXT,
        progress         REAL NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
        message          TEXT,
        params_json      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params_json)),
        result_json      TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
        cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
        error_code       TEXT,
        error_message    TEXT,
        requested_by     TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        started_at       TEXT,
        finished_at      TEXT,
        CHECK ((state IN ('failed', 'interrupted')) = (error_code IS NOT NULL))
      ) STRICT;
      INSERT INTO jobs_new (id, kind, card_id, state, error_code, error_message, requested_by, created_at, updated_at, finished_at)
        SELECT id,
               CASE kind WHEN 'calibrate' THEN 'calibration' ELSE kind END,
               card_id,
               CASE WHEN state IN ('capturing', 'processing', 'grading') THEN 'interrupted' ELSE state END,
               CASE WHEN state IN ('capturing', 'processing', 'grading') THEN 'GB_JOB_INTERRUPTED'
                    WHEN state = 'failed' THEN COALESCE(error_code, 'GB_INTERNAL') ELSE NULL END,
               CASE WHEN state IN ('capturing', 'processing', 'grading') THEN 'left ' || state || ' by a gradebooth before the job queue existed'
                    ELSE error_message END,
               requested_by, created_at, updated_at,
               CASE WHEN state = 'queued' THEN NULL ELSE updated_at END
        FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs_new RENAME TO jobs;
      CREATE INDEX jobs_by_state ON jobs(state, created_at);
      CREATE INDEX jobs_by_created ON jobs(created_at, id);

      CREATE TABLE job_files (
        job_id     TEXT NOT NULL REFERENCES jobs(id),
        sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, sha256)
      ) STRICT;
      CREATE INDEX job_files_by_sha256 ON job_files(sha256);

      CREATE TABLE scan_calibrations (
        scan_id        TEXT NOT NULL REFERENCES scans(id),
        procedure      TEXT NOT NULL,
        calibration_id TEXT NOT NULL REFERENCES calibrations(id),
        PRIMARY KEY (scan_id, procedure)
      ) STRICT;
      INSERT INTO scan_calibrations (scan_id, procedure, calibration_id)
        SELECT s.id, c.procedure, c.id FROM scans s JOIN calibrations c ON c.id = s.calibration_id;

      CREATE INDEX cards_by_created ON cards(created_at, id);
      CREATE INDEX scans_by_job ON scans(job_id);
    `);
  },
};
