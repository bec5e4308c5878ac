import type { Migration } from './index.ts';

// Model rollout (docs/fleet.md), in model_releases (0001's placeholder `models` table, which grades.model_id references, is left as it is): every model release the fleet offered this booth and its state, the active
// model (exactly one row in state 'active' per model name, so the choice survives a restart), and each
// shadow/probation comparison of a model with its reference.
export const m0009ModelRollout: Migration = {
  version: 9,
  name: 'model-rollout',
  up(db) {
    db.exec(`
      CREATE TABLE model_releases (
        sha256           TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        name             TEXT,
        version          TEXT,
        release_id       TEXT,
        state            TEXT NOT NULL CHECK (state IN ('downloading', 'refused', 'shadow', 'passed', 'failed', 'active', 'retired', 'rolled-back', 'superseded')),
        canary           INTEGER NOT NULL DEFAULT 0 CHECK (canary IN (0, 1)),
        release_json     TEXT CHECK (release_json IS NULL OR json_valid(release_json)),
        key_id           TEXT,
        reason_code      TEXT,
        reason_message   TEXT,
        chunks           INTEGER NOT NULL DEFAULT 0 CHECK (chunks >= 0),
        chunks_have      INTEGER NOT NULL DEFAULT 0 CHECK (chunks_have >= 0),
        resumed_chunks   INTEGER NOT NULL DEFAULT 0 CHECK (resumed_chunks >= 0),
        shadow_needed    INTEGER NOT NULL DEFAULT 0 CHECK (shadow_needed >= 0),
        probation_needed INTEGER NOT NULL DEFAULT 0 CHECK (probation_needed >= 0),
        -- The model that was active when this one was activated: where a rollback returns (NULL: models/).
        previous_sha256  TEXT,
        offered_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        activated_at     TEXT
      ) STRICT;
      CREATE UNIQUE INDEX model_releases_one_active ON model_releases(name) WHERE state = 'active';

      CREATE TABLE model_comparisons (
        id               INTEGER PRIMARY KEY,
        model_sha256     TEXT NOT NULL REFERENCES model_releases(sha256),
        phase            TEXT NOT NULL CHECK (phase IN ('shadow', 'probation')),
        -- What it was compared with: the active model in shadow, the previous one in probation (NULL: none).
        reference_sha256 TEXT,
        scan_id          TEXT,
        side             TEXT CHECK (side IS NULL OR side IN ('front', 'back')),
        agreed           INTEGER CHECK (agreed IS NULL OR agreed IN (0, 1)),
        matched          INTEGER NOT NULL DEFAULT 0,
        only_reference   INTEGER NOT NULL DEFAULT 0,
        only_model       INTEGER NOT NULL DEFAULT 0,
        surface_delta    REAL,
        model_ms         REAL,
        reference_ms     REAL,
        error_code       TEXT,
        error_message    TEXT,
        created_at       TEXT NOT NULL
      ) STRICT;
      CREATE INDEX model_comparisons_by_model ON model_comparisons(model_sha256, phase);
    `);
  },
};
