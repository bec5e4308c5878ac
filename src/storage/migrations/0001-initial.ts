import type { Migration } from './index.ts';

// The booth's first schema. STRICT tables so a wrong type is an error, not a silent affinity coercion;
// timestamps are ISO-8601 UTC TEXT; files are referenced by sha256 from the content-addressed store.
export const m0001Initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE blobs (
        sha256      TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
        media_type  TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE cards (
        id          INTEGER PRIMARY KEY,
        barcode     TEXT NOT NULL UNIQUE CHECK (length(barcode) BETWEEN 1 AND 128),
        game        TEXT,
        description TEXT,
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE calibrations (
        id            TEXT PRIMARY KEY,
        procedure     TEXT NOT NULL,
        version       INTEGER NOT NULL,
        passed        INTEGER NOT NULL CHECK (passed IN (0, 1)),
        figures_json  TEXT NOT NULL CHECK (json_valid(figures_json)),
        record_sha256 TEXT REFERENCES blobs(sha256),
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        created_by    TEXT
      ) STRICT;
      CREATE INDEX calibrations_by_procedure ON calibrations(procedure, created_at);

      CREATE TABLE jobs (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('grade', 'scan', 'calibrate')),
        card_id       INTEGER REFERENCES cards(id),
        state         TEXT NOT NULL CHECK (state IN ('queued', 'capturing', 'processing', 'grading', 'done', 'failed', 'cancelled')),
        error_code    TEXT,
        error_message TEXT,
        requested_by  TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      ) STRICT;
      CREATE INDEX jobs_by_state ON jobs(state, created_at);

      CREATE TABLE scans (
        id             TEXT PRIMARY KEY,
        job_id         TEXT NOT NULL REFERENCES jobs(id),
        card_id        INTEGER REFERENCES cards(id),
        side           TEXT NOT NULL CHECK (side IN ('front', 'back')),
        calibration_id TEXT REFERENCES calibrations(id),
        normals_sha256 TEXT REFERENCES blobs(sha256),
        albedo_sha256  TEXT REFERENCES blobs(sha256),
        depth_sha256   TEXT REFERENCES blobs(sha256),
        summary_json   TEXT CHECK (summary_json IS NULL OR json_valid(summary_json)),
        created_at     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX scans_by_card ON scans(card_id, created_at);

      CREATE TABLE frames (
        id             INTEGER PRIMARY KEY,
        scan_id        TEXT REFERENCES scans(id),
        calibration_id TEXT REFERENCES calibrations(id),
        light_index    INTEGER NOT NULL CHECK (light_index >= -1),
        led_channel    INTEGER,
        exposure_us    INTEGER NOT NULL CHECK (exposure_us > 0),
        gain_db        REAL NOT NULL DEFAULT 0,
        width          INTEGER NOT NULL CHECK (width > 0),
        height         INTEGER NOT NULL CHECK (height > 0),
        pixel_format   TEXT NOT NULL,
        sha256         TEXT NOT NULL REFERENCES blobs(sha256),
        path           TEXT NOT NULL,
        timestamp_us   INTEGER,
        meta_json      TEXT CHECK (meta_json IS NULL OR json_valid(meta_json)),
        created_at     TEXT NOT NULL,
        CHECK (scan_id IS NOT NULL OR calibration_id IS NOT NULL)
      ) STRICT;
      CREATE INDEX frames_by_scan ON frames(scan_id, light_index);

      CREATE TABLE models (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        version       TEXT NOT NULL,
        sha256        TEXT NOT NULL REFERENCES blobs(sha256),
        manifest_json TEXT NOT NULL CHECK (json_valid(manifest_json)),
        state         TEXT NOT NULL CHECK (state IN ('available', 'shadow', 'active', 'retired', 'failed')),
        installed_at  TEXT NOT NULL,
        activated_at  TEXT,
        UNIQUE (name, version)
      ) STRICT;

      CREATE TABLE grades (
        id              TEXT PRIMARY KEY,
        card_id         INTEGER NOT NULL REFERENCES cards(id),
        job_id          TEXT REFERENCES jobs(id),
        model_id        TEXT REFERENCES models(id),
        overall         REAL NOT NULL CHECK (overall BETWEEN 1 AND 10),
        centering       REAL CHECK (centering BETWEEN 1 AND 10),
        corners         REAL CHECK (corners BETWEEN 1 AND 10),
        edges           REAL CHECK (edges BETWEEN 1 AND 10),
        surface         REAL CHECK (surface BETWEEN 1 AND 10),
        score_1000      INTEGER CHECK (score_1000 BETWEEN 0 AND 1000),
        report_sha256   TEXT REFERENCES blobs(sha256),
        override_of     TEXT REFERENCES grades(id),
        override_reason TEXT,
        created_by      TEXT,
        created_at      TEXT NOT NULL,
        CHECK (override_of IS NULL OR length(override_reason) > 0)
      ) STRICT;
      CREATE INDEX grades_by_card ON grades(card_id, created_at);

      CREATE TABLE defects (
        id           INTEGER PRIMARY KEY,
        grade_id     TEXT NOT NULL REFERENCES grades(id),
        side         TEXT NOT NULL CHECK (side IN ('front', 'back')),
        category     TEXT NOT NULL CHECK (category IN ('corner', 'edge', 'surface', 'centering', 'cut')),
        kind         TEXT NOT NULL,
        x_mm         REAL NOT NULL,
        y_mm         REAL NOT NULL,
        width_mm     REAL,
        height_mm    REAL,
        length_mm    REAL,
        depth_um     REAL,
        severity     REAL NOT NULL CHECK (severity BETWEEN 0 AND 1),
        image_sha256 TEXT REFERENCES blobs(sha256)
      ) STRICT;
      CREATE INDEX defects_by_grade ON defects(grade_id);

      CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        topic        TEXT NOT NULL,
        payload      BLOB NOT NULL,
        qos          INTEGER NOT NULL DEFAULT 1 CHECK (qos IN (0, 1, 2)),
        priority     INTEGER NOT NULL DEFAULT 0,
        attempts     INTEGER NOT NULL DEFAULT 0,
        created_at   TEXT NOT NULL,
        last_attempt_at TEXT
      ) STRICT;
      CREATE INDEX outbox_by_priority ON outbox(priority DESC, id);

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        role         TEXT NOT NULL CHECK (role IN ('operator', 'technician', 'fleet')),
        token_sha256 TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      ) STRICT;

      CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        target      TEXT,
        detail_json TEXT CHECK (detail_json IS NULL OR json_valid(detail_json))
      ) STRICT;
      CREATE INDEX audit_by_time ON audit_log(at);
    `);
  },
};
